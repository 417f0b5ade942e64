"""Signing in to a shop's portal with an emailed link, and signing out.

Asking for a link answers the same page whatever the address (known, unknown, throttled): the
link is made and emailed by a task after commit (`customers.portal_links`). Opening the link
shows a button that signs in (a POST): a mail scanner that fetches the link does not use it up,
and the link still works once only.
"""

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.customers.models import PortalLinkPurpose
from ardoise.customers.portal_links import InvalidPortalLink, check_link, consume_link
from ardoise.customers.portal_links import request_sign_in_link as ask_for_link
from ardoise.customers.tasks import send_portal_link_task
from ardoise.portal.access import (
    activate_customer_language,
    portal_shop,
    sign_in_customer,
    sign_out_customer,
    signed_in_customer,
)
from ardoise.portal.forms import SignInForm
from ardoise.shops.addresses import client_address


def _next_url(request: HttpRequest, shop_slug: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    prefix = f"/c/{shop_slug}/"
    if target.startswith(prefix) and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return prefix


def _enqueue_link(customer_id: int) -> None:
    transaction.on_commit(lambda: send_portal_link_task.enqueue(customer_id, "sign_in"))


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = portal_shop(shop_slug)
    if signed_in_customer(request, shop) is not None:
        return redirect(_next_url(request, shop.slug))
    form = SignInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            customer_ids = ask_for_link(
                shop=shop, email=form.cleaned_data["email"], address=client_address(request)
            )
            for customer_id in customer_ids:
                _enqueue_link(customer_id)
        return redirect("portal:sign_in_sent", shop_slug=shop.slug)
    context = {"shop": shop, "form": form}
    return render(request, "portal/sign_in.html", context, status=400 if form.errors else 200)


def sign_in_sent(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = portal_shop(shop_slug)
    return render(request, "portal/sign_in_sent.html", {"shop": shop})


@require_http_methods(["GET", "POST"])
def sign_in_link(request: HttpRequest, shop_slug: str, token: str) -> HttpResponse:
    shop = portal_shop(shop_slug)
    try:
        if request.method == "POST":
            consumed = consume_link(shop=shop, token=token, purpose=PortalLinkPurpose.SIGN_IN)
            sign_in_customer(request, consumed.customer)
            return redirect("portal:home", shop_slug=shop.slug)
        link = check_link(shop=shop, token=token, purpose=PortalLinkPurpose.SIGN_IN)
    except InvalidPortalLink as error:
        context = {"shop": shop, "message": str(error), "form": SignInForm()}
        return render(request, "portal/sign_in.html", context, status=410)
    activate_customer_language(request, link.customer)
    return render(request, "portal/sign_in_link.html", {"shop": shop, "link": link})


@require_POST
def sign_out(request: HttpRequest, shop_slug: str) -> HttpResponse:
    shop = portal_shop(shop_slug)
    sign_out_customer(request, shop)
    return redirect("portal:sign_in", shop_slug=shop.slug)
