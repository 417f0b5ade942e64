"""The checkout of a web shop: what an order costs after the customer's balance, its
confirmation (the order placed, the part of the account it uses reserved), its release.

The same services as the customer portal's online orders (`payments.quotes.quote`,
`payments.orders.place_online_order` and `cancel_online_order`), with the same rules: the shop's
online ordering must be open, products come from its catalogue at its prices, the amount to pay
is the total less the positive balance not held elsewhere plus what is owed (payment required)
or what balance and credit do not cover (not required), and it is paid through the shop's
online provider (the `pay_url` of the order's checkout). The quote writes nothing; placing the
order reserves what the account covers, in the order's transaction, by the ledger's one guarded
UPDATE: two web shops, two tabs or a retried request cannot spend the balance twice. Delivering
the order (`POST /orders/{id}/deliver`) turns the hold into the charge; releasing it (cancel)
gives the hold back.
"""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext_noop
from ninja import Router, Status

from ardoise.api.access import account_for, allowed, allowed_to_write, order_for
from ardoise.api.errors import ERRORS, WRITE, ApiError
from ardoise.api.idempotency import ledger_key, request_key
from ardoise.api.money import amount_text, check_currency, read_amount
from ardoise.api.present import order as present_order
from ardoise.api.schemas import (
    CheckoutIn,
    CheckoutOut,
    CheckoutPaymentOut,
    CheckoutQuoteIn,
    Id,
    OrderOut,
    QuoteOut,
    dump,
)
from ardoise.invoicing.errors import InvalidLine, OrderTooLarge
from ardoise.invoicing.models import Order, OrderChannel
from ardoise.invoicing.totals import LineError, LineTooLarge, compute_totals
from ardoise.ledger.models import Account
from ardoise.ledger.services.reservations import held_for
from ardoise.payments.models import Checkout
from ardoise.payments.orders import cancel_online_order, place_online_order
from ardoise.payments.quotes import CartItem, lines_from_catalogue, quote
from ardoise.shops.permissions import Permission

router = Router(tags=[gettext_noop("checkout")])


def _items(payload: CheckoutQuoteIn) -> list[CartItem]:
    return [
        CartItem(product_id=item.product_id, quantity=Decimal(item.quantity))
        for item in payload.items
    ]


def _total(shop_id: int, account: Account, items: list[CartItem]) -> int:
    lines = lines_from_catalogue(shop_id, items)
    try:
        return compute_totals(lines, account.currency).total
    except LineTooLarge as error:
        raise OrderTooLarge() from error
    except LineError as error:
        raise InvalidLine() from error


@router.post(
    "/checkout/quote",
    response={200: QuoteOut, **ERRORS},
    summary=gettext_noop(
        "What an order of catalogue products costs the customer after their balance (a read)"
    ),
    operation_id="quote_checkout",
)
def quote_checkout(request: HttpRequest, payload: CheckoutQuoteIn) -> dict[str, Any]:
    """Nothing is written or held: placing the order (`POST /checkout/orders`) decides again
    on the locked account, and refuses an `expected_to_pay` that changed meanwhile."""
    caller = allowed(request, Permission.SALES_CREATE)
    account = account_for(caller, payload.customer_id, field="customer_id")
    check_currency(payload.currency, account.currency)
    figures = quote(total=_total(caller.shop_id, account, _items(payload)), account=account)
    currency = account.currency
    return dump(
        QuoteOut(
            customer_id=account.customer_id,
            currency=currency,
            total=amount_text(figures.total, currency),
            on_account=amount_text(figures.on_account, currency),
            debt=amount_text(figures.debt, currency),
            to_pay=amount_text(figures.to_pay, currency),
            payment_required=figures.payment_required,
        )
    )


@router.post(
    "/checkout/orders",
    response={201: CheckoutOut, **ERRORS},
    summary=gettext_noop(
        "Place the order quoted: reserve what the account covers, open a checkout for the rest"
    ),
    operation_id="place_checkout_order",
    openapi_extra=WRITE,
)
def place_order(request: HttpRequest, payload: CheckoutIn) -> Status:
    caller = allowed_to_write(request, Permission.SALES_CREATE)
    account = account_for(caller, payload.customer_id, field="customer_id")
    check_currency(payload.currency, account.currency)
    expected = (
        None
        if payload.expected_to_pay is None
        else read_amount(
            payload.expected_to_pay, currency=account.currency, field="expected_to_pay"
        )
    )
    # `place_online_order` is a use case of its own (durable: the provider is called after it
    # commits), so it cannot join the API's idempotency record: its own key, derived from the
    # Idempotency-Key, gives the first order again (as it stands now), and another request
    # with it is 409 `idempotency_conflict`.
    placed = place_online_order(
        account=account,
        items=_items(payload),
        idempotency_key=ledger_key(caller, request_key(request)),
        return_url=payload.return_url,
        note=payload.note,
        expected_to_pay=expected,
    )
    return Status(201, checkout_body(placed.order))


@router.get(
    "/checkout/orders/{order_id}",
    response={200: CheckoutOut, **ERRORS},
    summary=gettext_noop(
        "Where an order placed at the checkout stands: what it holds, its payment"
    ),
    operation_id="read_checkout_order",
)
def read_order(request: HttpRequest, order_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    return checkout_body(_online_order(caller, order_id))


@router.post(
    "/checkout/orders/{order_id}/release",
    response={200: CheckoutOut, **ERRORS},
    summary=gettext_noop(
        "Release an order not delivered: cancel it and its checkout, give back what it holds"
    ),
    operation_id="release_checkout_order",
    openapi_extra=WRITE,
)
def release_order(request: HttpRequest, order_id: Id) -> Status:
    caller = allowed_to_write(request, Permission.SALES_CREATE)
    order = _online_order(caller, order_id)
    # Durable too; releasing a released order answers it again, unchanged.
    return Status(200, checkout_body(cancel_online_order(order=order, reason="")))


def _online_order(caller: Any, order_id: int) -> Order:
    order = order_for(caller, order_id)
    if order.channel != OrderChannel.PORTAL:
        raise ApiError(404, "not_found")
    return order


def checkout_body(order: Order) -> dict[str, Any]:
    """The order, what it holds on the account now, and its latest checkout."""
    order = Order.objects.select_related("account").get(pk=order.pk)
    currency = order.account.currency
    held = held_for(account=order.account, reference=order.reservation_reference)
    checkout = Checkout.objects.filter(shop_id=order.shop_id, order=order).order_by("-id").first()
    return dump(
        CheckoutOut(
            order=OrderOut.model_validate(present_order(order)),
            payment_state=order.payment_state,
            reserved=amount_text(held.amount if held else 0, currency),
            reserved_until=held.expires_at if held else None,
            checkout=None
            if checkout is None
            else CheckoutPaymentOut(
                id=checkout.pk,
                status=checkout.status,
                amount=amount_text(checkout.amount, currency),
                pay_url=checkout.redirect_url or None,
                expires_at=checkout.expires_at,
            ),
        )
    )
