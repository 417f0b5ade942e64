from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ardoise.ledger.selectors import accounts_for_shop
from ardoise.shops.models import Membership


@login_required
def home(request: HttpRequest) -> HttpResponse:
    membership = (
        Membership.objects.select_related("shop", "role")
        .filter(user=request.user, is_active=True)  # type: ignore[misc]
        .first()
    )
    accounts = (
        accounts_for_shop(membership.shop_id).order_by("balance", "id")[:50] if membership else []
    )
    return render(request, "staff/home.html", {"membership": membership, "accounts": accounts})
