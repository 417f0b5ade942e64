"""Who is looking at the portal, in which shop: the customer session and its access helpers.

A customer signs in with an emailed link (`customers.portal_links`) and gets a session of the
portal's own, never a Django login: the Django session holds, under `PORTAL_SESSION_KEY`, one
entry per shop `{"customer": id, "version": n}`. `request.user` stays anonymous, so every
back-office view (`staff.access.member_required`) keeps answering "sign in" to a customer, and a
staff member's login opens no customer's portal, since this module never reads `request.user`.

`customer_required` finds the shop from the URL (404 when it is unknown or its portal is off),
checks the session's entry against the customer's current `portal_session_version` (staff, or
an email change, sign the customer out everywhere by moving it on), and sets
`request.portal = PortalContext(shop, customer, account)`. Objects are fetched through the
context (`get_charge_for_customer`…): another customer's or another shop's id gives 404.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlencode

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Order
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.ledger.selectors import account_for_customer
from ardoise.portal import selectors
from ardoise.shops.models import Shop

PORTAL_SESSION_KEY = "ardoise_portal"

View = TypeVar("View", bound=Callable[..., HttpResponse])


@dataclass
class PortalContext:
    shop: Shop
    customer: Customer
    account: Account

    @cached_property
    def balance(self) -> selectors.BalanceSummary:
        """The header's figures, read once per request."""
        return selectors.balance_summary(self.account)


class PortalRequest(HttpRequest):
    """A request that `customer_required` let through."""

    portal: PortalContext


def portal_shop(shop_slug: str) -> Shop:
    """The shop of a portal URL; 404 when it is unknown or its portal is off."""
    shop = Shop.objects.filter(slug=shop_slug, portal_enabled=True).first()
    if shop is None:
        raise Http404("no open portal at this address")
    return shop


def _entries(request: HttpRequest) -> dict[str, dict[str, int]]:
    entries = request.session.get(PORTAL_SESSION_KEY)
    return entries if isinstance(entries, dict) else {}


def sign_in_customer(request: HttpRequest, customer: Customer) -> None:
    """Open the customer's portal session for their shop (a new session key: no fixation)."""
    entries = _entries(request)
    request.session.cycle_key()
    entries[str(customer.shop_id)] = {
        "customer": customer.pk,
        "version": customer.portal_session_version,
    }
    request.session[PORTAL_SESSION_KEY] = entries


def sign_out_customer(request: HttpRequest, shop: Shop) -> None:
    entries = _entries(request)
    if entries.pop(str(shop.pk), None) is not None:
        request.session[PORTAL_SESSION_KEY] = entries
        request.session.cycle_key()


def signed_in_customer(request: HttpRequest, shop: Shop) -> Customer | None:
    """The customer whose session for `shop` is still valid, or None (a stale entry is dropped)."""
    entry = _entries(request).get(str(shop.pk))
    if not isinstance(entry, dict) or not isinstance(entry.get("customer"), int):
        return None
    customer = (
        Customer.objects.filter(shop_id=shop.pk, pk=entry["customer"], is_archived=False)
        .select_related("shop")
        .first()
    )
    if customer is None or customer.portal_session_version != entry.get("version"):
        sign_out_customer(request, shop)
        return None
    return customer


def activate_customer_language(request: HttpRequest, customer: Customer) -> None:
    """The customer's language setting; without one, the browser's (LocaleMiddleware's pick)."""
    if customer.language in dict(settings.LANGUAGES):
        translation.activate(customer.language)
        request.LANGUAGE_CODE = customer.language


def customer_required(view: View) -> View:
    """Signed in to this shop's portal as one of its customers; else to the sign-in page."""

    @wraps(view)
    def wrapper(request: HttpRequest, shop_slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        shop = portal_shop(shop_slug)
        customer = signed_in_customer(request, shop)
        account = account_for_customer(shop.pk, customer.pk) if customer is not None else None
        if customer is None or account is None:
            sign_in = reverse("portal:sign_in", kwargs={"shop_slug": shop.slug})
            return redirect(f"{sign_in}?{urlencode({'next': request.get_full_path()})}")
        activate_customer_language(request, customer)
        portal_request = cast(PortalRequest, request)
        portal_request.portal = PortalContext(shop=shop, customer=customer, account=account)
        return view(portal_request, *args, **kwargs)

    return cast(View, wrapper)


def get_charge_for_customer(portal: PortalContext, charge_id: int) -> Charge:
    charge = (
        Charge.objects.select_related("account__customer", "entry")
        .filter(shop_id=portal.shop.pk, account_id=portal.account.pk, pk=charge_id)
        .first()
    )
    if charge is None:
        raise Http404("no such charge on this account")
    return charge


def get_credit_for_customer(portal: PortalContext, credit_id: int) -> Credit:
    credit = (
        Credit.objects.select_related("account__customer", "entry")
        .filter(shop_id=portal.shop.pk, account_id=portal.account.pk, pk=credit_id)
        .first()
    )
    if credit is None:
        raise Http404("no such credit on this account")
    return credit


def get_order_for_customer(portal: PortalContext, order_id: int) -> Order:
    order = (
        Order.objects.filter(shop_id=portal.shop.pk, account_id=portal.account.pk, pk=order_id)
        .select_related("account")
        .first()
    )
    if order is None:
        raise Http404("no such order on this account")
    return order


def render_portal(
    request: PortalRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a signed-in page: the layout reads `shop` and `request.portal`."""
    return render(
        request, template, {"shop": request.portal.shop, **(context or {})}, status=status
    )
