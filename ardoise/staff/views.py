from django.http import HttpResponse
from django.shortcuts import render

from ardoise.ledger.selectors import debtors
from ardoise.shops.access import MemberRequest
from ardoise.staff.access import member_required
from ardoise.staff.selectors import shop_totals


@member_required()
def home(request: MemberRequest) -> HttpResponse:
    shop_id = request.membership.shop_id
    context = {"totals": shop_totals(shop_id), "debtors": debtors(shop_id)[:10]}
    return render(request, "staff/home.html", context)


@member_required()
def settings_index(request: MemberRequest) -> HttpResponse:
    return render(request, "staff/settings/index.html")
