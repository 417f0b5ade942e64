"""Ordering from the portal: the catalogue and its basket, the review that shows the amount to
pay after the balance, the confirmation (`payments.orders.place_online_order`), then either the
provider's checkout or "accepted, deducted from your account"; the customer's orders, each with
where its payment stands, paying again and cancelling while it is not delivered.

Each view is `customer_required`; an order is read through `get_order_for_customer` (another
customer's or another shop's id is a 404). A refusal is shown on the page, which writes nothing.
The orders pages expire the customer's checkouts nobody paid in time before they read them
(`expire_checkouts`, idempotent), so an abandoned payment gives the balance back as soon as the
customer looks, without waiting for `manage.py expire_checkouts`.

Sent again after Back (`portal.repeats`): the review confirmed again with its key gives the
order placed with it; the same order reviewed again (a new key) within minutes is asked about
before a second one is placed. Paying an order again reaches its own checkout, and an order paid
or accepted has nothing left to pay: not asked. The pages with these forms are `restorable`.
"""

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.core.errors import Refusal
from ardoise.core.repeats import restorable
from ardoise.invoicing.errors import InvalidLine, OrderTooLarge
from ardoise.invoicing.models import OrderChannel, OrderPaymentState, OrderStatus
from ardoise.invoicing.totals import LineError, LineTooLarge, compute_totals
from ardoise.payments.handling import refresh_live_checkout
from ardoise.payments.models import CheckoutStatus
from ardoise.payments.orders import (
    OnlineOrder,
    cancel_online_order,
    expire_checkouts,
    pay_order,
    place_online_order,
)
from ardoise.payments.quotes import lines_from_catalogue, quote
from ardoise.payments.selectors import online_provider_for
from ardoise.portal import repeats, selectors
from ardoise.portal.access import (
    PortalRequest,
    customer_required,
    get_order_for_customer,
    render_portal,
)
from ardoise.portal.forms import BasketForm, ConfirmOrderForm, KeyForm


def _ordering_context(request: PortalRequest) -> dict[str, Any]:
    """Whether the customer may order now, and why not (closed, another order open)."""
    portal = request.portal
    blocking = None
    if not portal.customer.allow_several_orders:
        blocking = selectors.open_portal_order(portal.account)
    return {
        "nav": "order",
        "ordering_open": portal.shop.ordering_open,
        "blocking_order": blocking,
        "payment_required": portal.shop.order_payment_required,
    }


def _review(
    request: PortalRequest,
    basket: BasketForm,
    confirm: ConfirmOrderForm | None,
    status: int,
    repeat: repeats.Repeat | None = None,
) -> HttpResponse:
    """The basket's lines and total, and the amount to pay after the balance (read now; the
    confirmation decides again on the locked account and refuses a changed amount)."""
    portal = request.portal
    lines = lines_from_catalogue(portal.shop.pk, basket.items())
    try:
        totals = compute_totals(lines, portal.account.currency)
    except LineTooLarge as error:
        raise OrderTooLarge() from error
    except LineError as error:
        raise InvalidLine() from error
    portal.account.refresh_from_db()
    figures = quote(
        total=totals.total,
        account=portal.account,
        payment_required=portal.shop.order_payment_required,
    )
    if confirm is None:
        confirm = ConfirmOrderForm(initial={"expected_to_pay": figures.to_pay})
    elif confirm.is_bound and confirm.data.get("expected_to_pay") != str(figures.to_pay):
        # The amount shown now is the one the next confirmation is checked against.
        confirm.data = {**confirm.data, "expected_to_pay": str(figures.to_pay)}
    context = {
        **_ordering_context(request),
        "basket": basket,
        "confirm": confirm,
        "rows": list(zip(lines, totals.line_amounts, strict=True)),
        "totals": totals,
        "quote": figures,
        "online_payment": online_provider_for(portal.shop.pk) is not None,
        "repeat": repeat,
    }
    return render_portal(request, "portal/order_review.html", context, status=status)


@restorable
@require_http_methods(["GET", "POST"])
@customer_required
def order(request: PortalRequest) -> HttpResponse:
    """The catalogue (GET) and, once quantities are chosen (POST), the review."""
    products = selectors.catalogue(request.portal.shop.pk)
    basket = BasketForm(request.POST or None, products=products)
    if request.method == "POST" and basket.is_valid():
        try:
            return _review(request, basket, None, 200)
        except Refusal as error:
            basket.add_error(None, str(error))
    context = {**_ordering_context(request), "basket": basket}
    status = 400 if basket.errors else 200
    return render_portal(request, "portal/order.html", context, status=status)


@restorable
@require_POST
@customer_required
def order_confirm(request: PortalRequest) -> HttpResponse:
    """Place the order reviewed: the provider's page for the amount to pay, or the order
    accepted at once (deducted from the account). The same order placed a moment ago under
    another key is asked about first (`portal.repeats.order_repeat`): nothing is placed until
    the customer chooses to place it again."""
    portal = request.portal
    basket = BasketForm(request.POST, products=selectors.catalogue(portal.shop.pk))
    confirm = ConfirmOrderForm(request.POST)
    if not (basket.is_valid() and confirm.is_valid()):
        return redirect("portal:order", shop_slug=portal.shop.slug)
    key, note = confirm.cleaned_data["idempotency_key"], basket.cleaned_data["note"]
    if not repeats.confirmed(request):
        repeat = repeats.order_repeat(portal, items=basket.items(), note=note, key=key)
        if repeat is not None:
            try:
                return _review(request, basket, confirm, 409, repeat)
            except Refusal:
                return redirect("portal:order", shop_slug=portal.shop.slug)
    try:
        placed = place_online_order(
            account=portal.account,
            items=basket.items(),
            idempotency_key=key,
            return_url=_order_url(request, None),
            note=note,
            expected_to_pay=confirm.cleaned_data["expected_to_pay"],
        )
    except Refusal as error:
        confirm.refuse(error)
        try:
            return _review(request, basket, confirm, 409)
        except Refusal:
            return redirect("portal:order", shop_slug=portal.shop.slug)
    return _after_placing(request, placed)


def _order_url(request: PortalRequest, order_id: int | None) -> str:
    """Where the provider sends the customer back: the order's page (None: the order does not
    exist yet, `{order}` is filled in by `place_online_order`)."""
    path = reverse("portal:orders", kwargs={"shop_slug": request.portal.shop.slug})
    return request.build_absolute_uri(path) + (f"{order_id}/" if order_id else "{order}/")


def _after_placing(request: PortalRequest, placed: OnlineOrder) -> HttpResponse:
    checkout = placed.checkout
    if checkout is None:
        messages.success(
            request, _("Your order is accepted. Its amount is deducted from your account.")
        )
    elif checkout.status == CheckoutStatus.PENDING and checkout.redirect_url:
        return redirect(checkout.redirect_url)
    elif checkout.status == CheckoutStatus.DECLINED:
        messages.error(
            request,
            _(
                "The payment could not be opened. Nothing was taken from your balance: try "
                "paying again in a moment, or cancel the order."
            ),
        )
    return redirect(
        "portal:order_detail", shop_slug=request.portal.shop.slug, order_id=placed.order.pk
    )


@require_GET
@customer_required
def orders(request: PortalRequest) -> HttpResponse:
    expire_checkouts(account=request.portal.account)
    rows = selectors.customer_orders(request.portal.account)
    return render_portal(request, "portal/orders.html", {"nav": "orders", "orders": rows})


@restorable
@require_GET
@customer_required
def order_detail(request: PortalRequest, order_id: int) -> HttpResponse:
    row = get_order_for_customer(request.portal, order_id)
    # Back from the provider's page: a checkout still pending is asked of the provider now.
    refresh_live_checkout(shop_id=row.shop_id, reference=row.reservation_reference)
    row.refresh_from_db()
    expire_checkouts(order=row)
    money = selectors.order_money(row)
    context = {
        "nav": "orders",
        "order": row,
        "lines": selectors.order_lines(row),
        "money": money,
        "can_cancel": row.status == OrderStatus.OPEN and row.channel == OrderChannel.PORTAL,
        "can_pay": row.status == OrderStatus.OPEN
        and row.payment_state == OrderPaymentState.AWAITING,
        "pay_form": KeyForm(),
    }
    return render_portal(request, "portal/order_detail.html", context)


@require_POST
@customer_required
def order_pay(request: PortalRequest, order_id: int) -> HttpResponse:
    """Pay an order that waits for its payment. Not asked about when sent again: `pay_order`
    gives the order's pending checkout back, and refuses an order paid or accepted meanwhile
    (nothing to pay), whatever the key."""
    row = get_order_for_customer(request.portal, order_id)
    form = KeyForm(request.POST)
    if form.is_valid():
        try:
            placed = pay_order(
                order=row,
                idempotency_key=form.cleaned_data["idempotency_key"],
                return_url=_order_url(request, row.pk),
            )
        except Refusal as error:
            messages.error(request, str(error))
        else:
            return _after_placing(request, placed)
    return redirect("portal:order_detail", shop_slug=request.portal.shop.slug, order_id=row.pk)


@require_POST
@customer_required
def order_cancel(request: PortalRequest, order_id: int) -> HttpResponse:
    row = get_order_for_customer(request.portal, order_id)
    if row.channel != OrderChannel.PORTAL:
        messages.error(request, _("Only the shop can cancel this order."))
    else:
        try:
            cancel_online_order(order=row, reason=_("Cancelled by the customer"))
        except Refusal as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                _("Your order is cancelled. Nothing is held on your account for it any more."),
            )
    return redirect("portal:order_detail", shop_slug=request.portal.shop.slug, order_id=row.pk)
