"""Online orders from the customer's portal, and the money side of them (issue 12).

An online order is an order like any other (`invoicing.create_order`: not in the account until
it is delivered, when its invoice is issued and its charge posted), plus what it does with the
customer's balance:

- **Payment required** (the shop's default): the customer pays online the order total less the
  positive balance they have not committed elsewhere, plus any debt (`payments.quotes`). With
  20 € ordered: +5 € → pay 15 €; −5 € → pay 25 €; +50 € → nothing to pay, the order is
  accepted at once and marked "deducted from the account".
- **Payment not required**: the order is accepted when what the customer can spend (balance +
  credit limit − reservations) covers it; otherwise they pay online the part it does not cover.

The part of the balance (or of the credit) an order uses is **reserved** under the order's
reference (`order:<id>`, its charge's earmark), by the ledger's one guarded UPDATE of the account
row (DESIGN.md rule 5), in the same transaction as the order: two tabs, two devices or a retried
request cannot spend it twice. Delivery consumes it (the charge takes its place), cancelling
releases it, and so does a checkout declined, abandoned (it expires) or cancelled
(`payments.outcomes`). A paid checkout records one payment and the order is accepted.

Every use case takes an idempotency key (the same key and request give the first result; another
request with it is refused) and each refusal writes nothing: it is raised before or inside the
one transaction, which it rolls back. The provider is called after that transaction commits.

Locks: placing an order locks the account row first (so the quote, the one-open-order rule and
the reservation are decided together, and the reservation's guard still admits or refuses);
paying again, cancelling and expiry lock the checkout (if any), then the order, then the account.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.core.money import format_money
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import (
    Order,
    OrderChannel,
    OrderPaymentState,
    OrderStatus,
)
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import open_charges, unapplied_credits
from ardoise.ledger.services import idempotency
from ardoise.ledger.services.reservations import WITHIN_LIMIT
from ardoise.payments import outcomes
from ardoise.payments.errors import (
    AboveOnlineMaximum,
    AnotherOrderOpen,
    NothingToPay,
    OnlinePaymentNotOffered,
    OrderingClosed,
    QuoteChanged,
)
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.payments.online import (
    OnlinePaymentUnavailable,
    connect_checkout,
    new_checkout,
    payer_sent_again,
)
from ardoise.payments.order_emails import notify_shop_of_order
from ardoise.payments.providers.base import PaymentProvider
from ardoise.payments.quotes import CartItem, Quote, lines_from_catalogue, quote
from ardoise.payments.selectors import online_provider_for
from ardoise.shops.models import Shop

# An order's checkout not paid within this time expires, and what its order held is released.
CHECKOUT_LIFETIME = dt.timedelta(minutes=30)
MAX_KEY_LENGTH = 100


@dataclass(frozen=True)
class OnlineOrder:
    """An online order and where its payment stands: `checkout` is the one to pay (None when
    the order was accepted at once; declined when the provider could not open it)."""

    order: Order
    checkout: Checkout | None

    @property
    def to_pay(self) -> int:
        return self.checkout.amount if self.checkout is not None else 0

    @property
    def accepted_at_once(self) -> bool:
        return self.checkout is None


# --- Checks -----------------------------------------------------------------------------------


def _key(idempotency_key: str) -> str:
    if not idempotency_key or len(idempotency_key) > MAX_KEY_LENGTH:
        raise IdempotencyConflict()
    return idempotency_key


def _ordering_shop(shop_id: int) -> Shop:
    shop = Shop.objects.get(pk=shop_id)
    if not (shop.portal_enabled and shop.ordering_open):
        raise OrderingClosed()
    return shop


def _refuse_another_open_order(account: Account) -> None:
    """One open online order at a time, unless staff allow several (read under the account
    row's lock, so two tabs placing at once are decided one after the other)."""
    several = account.customer.allow_several_orders
    others = Order.objects.filter(
        shop_id=account.shop_id,
        account_id=account.pk,
        status=OrderStatus.OPEN,
        channel=OrderChannel.PORTAL,
    )
    if not several and others.exists():
        raise AnotherOrderOpen()


def _check_payable(shop: Shop, provider: PaymentProvider | None, figures: Quote) -> None:
    if figures.to_pay == 0:
        return
    if provider is None:
        raise OnlinePaymentNotOffered()
    if figures.to_pay > shop.online_payment_max:
        raise AboveOnlineMaximum(
            amount=format_money(figures.to_pay, shop.currency),
            maximum=format_money(shop.online_payment_max, shop.currency),
        )


# --- Use cases --------------------------------------------------------------------------------


def place_online_order(
    *,
    account: Account,
    items: Sequence[CartItem],
    idempotency_key: str,
    return_url: str,
    note: str = "",
    expected_to_pay: int | None = None,
) -> OnlineOrder:
    """Place an order from the portal and settle its money side, in one transaction.

    In it: the idempotency claim, the account row locked, the one-open-order rule, the order
    (`invoicing.create_order`, channel portal), the reservation of the part of the account it
    uses (floor 0 when payment is required: only the positive balance; the credit limit when it
    is not), and either the order accepted ("deducted from the account") or its checkout row,
    pending, for the rest. After commit, the provider opens that checkout.

    Refused, nothing written: ordering closed, another order open, a product not orderable, an
    amount to pay above the online maximum or with no online payment offered, and, when the
    caller says what it showed (`expected_to_pay`), an amount that changed meanwhile.
    `return_url` is where the provider sends the customer back; `{order}` in it is replaced by
    the order's id.
    """
    key = _key(idempotency_key)
    shop = _ordering_shop(account.shop_id)
    lines = lines_from_catalogue(shop.pk, items)
    provider = online_provider_for(shop.pk)
    params = {
        "account": account.pk,
        "items": [[item.product_id, str(item.quantity)] for item in items],
        "note": note,
    }
    # durable: a portal use case; the provider is called after it commits.
    with transaction.atomic(durable=True):
        claim = idempotency.claim(
            shop_id=shop.pk, key=key, operation="place_online_order", params=params
        )
        if claim.replay_of is not None:
            return _replay(claim.replay_of)
        locked = Account.objects.select_for_update().select_related("customer").get(pk=account.pk)
        _refuse_another_open_order(locked)
        order = invoicing.create_order(
            account=locked,
            lines=lines,
            actor=None,
            idempotency_key=f"portal:{key}",
            note=note,
            channel=OrderChannel.PORTAL,
            payment_state=OrderPaymentState.AWAITING,
        )
        figures = quote(
            total=order.total, account=locked, payment_required=shop.order_payment_required
        )
        if expected_to_pay is not None and figures.to_pay != expected_to_pay:
            raise QuoteChanged(to_pay=format_money(figures.to_pay, shop.currency))
        checkout = _settle(
            shop=shop,
            provider=provider,
            order=order,
            account=locked,
            figures=figures,
            return_url=return_url,
        )
        idempotency.settle(claim, order.pk)
    return OnlineOrder(order=order, checkout=_connect(checkout, provider))


def pay_order(
    *, order: Order, idempotency_key: str, return_url: str, expected_to_pay: int | None = None
) -> OnlineOrder:
    """Pay an online order that waits for its payment (its checkout was declined or expired):
    the one pending checkout if there is one, or a fresh quote, reservation and checkout, or the
    order accepted at once if the balance now covers it. Locks the order, then the account."""
    key = _key(idempotency_key)
    shop = _ordering_shop(order.shop_id)
    provider = online_provider_for(shop.pk)
    expire_checkouts(order=order)
    with transaction.atomic(durable=True):
        claim = idempotency.claim(
            shop_id=shop.pk, key=key, operation="pay_order", params={"order": order.pk}
        )
        if claim.replay_of is not None:
            return _replay(claim.replay_of)
        locked_order = Order.objects.select_for_update().get(pk=order.pk, shop_id=shop.pk)
        if (
            locked_order.status != OrderStatus.OPEN
            or locked_order.payment_state != OrderPaymentState.AWAITING
        ):
            raise NothingToPay()
        pending = _pending_checkout(locked_order)
        if pending is not None:
            payer_sent_again(pending)
            idempotency.settle(claim, locked_order.pk)
            return _replay(locked_order.pk)
        account = Account.objects.select_for_update().get(pk=locked_order.account_id)
        ledger.release(account=account, reference=locked_order.reservation_reference)
        account.refresh_from_db(fields=["balance", "reserved", "credit_limit", "version"])
        figures = quote(
            total=locked_order.total, account=account, payment_required=shop.order_payment_required
        )
        if expected_to_pay is not None and figures.to_pay != expected_to_pay:
            raise QuoteChanged(to_pay=format_money(figures.to_pay, shop.currency))
        checkout = _settle(
            shop=shop,
            provider=provider,
            order=locked_order,
            account=account,
            figures=figures,
            return_url=return_url,
        )
        idempotency.settle(claim, locked_order.pk)
    return OnlineOrder(order=locked_order, checkout=_connect(checkout, provider))


def cancel_online_order(*, order: Order, reason: str = "") -> Order:
    """The customer cancels an order not delivered: its pending checkout is cancelled (one a
    confirmation is handling right now is skipped: its payment then stays on the balance) and
    what it holds is released (`invoicing.cancel_order`). Cancelling a cancelled order again
    returns it unchanged, so a repeated request is harmless."""
    # durable: a portal use case, never inside another's transaction.
    with transaction.atomic(durable=True):
        locked = Order.objects.select_for_update().get(pk=order.pk)
        if locked.status == OrderStatus.CANCELLED:
            return locked
        pending = list(
            Checkout.objects.select_for_update(skip_locked=True).filter(
                shop_id=locked.shop_id, order=locked, status=CheckoutStatus.PENDING
            )
        )
        for checkout in pending:
            checkout.status = CheckoutStatus.CANCELLED
            checkout.completed_at = timezone.now()
            checkout.save(update_fields=["status", "completed_at"])
        cancelled = invoicing.cancel_order(order=locked, actor=None, reason=reason)
    return cancelled


def expire_checkouts(
    *, now: dt.datetime | None = None, order: Order | None = None, account: Account | None = None
) -> int:
    """Expire order checkouts nobody paid in time and release what their orders held; returns
    how many. Each in its own transaction, claimed by a lock that skips a checkout a
    confirmation is handling right now. `manage.py expire_checkouts` runs it for every shop;
    the portal runs it for one order or account before it reads or pays."""
    now = now or timezone.now()
    due = Checkout.objects.filter(
        status=CheckoutStatus.PENDING, purpose=CheckoutPurpose.ORDER, expires_at__lte=now
    )
    if order is not None:
        due = due.filter(shop_id=order.shop_id, order_id=order.pk)
    if account is not None:
        due = due.filter(shop_id=account.shop_id, account_id=account.pk)
    expired = 0
    for checkout_id in list(due.order_by("id").values_list("pk", flat=True)[:500]):
        # durable: one expiry per transaction, never inside another's.
        with transaction.atomic(durable=True):
            checkout = (
                Checkout.objects.select_for_update(skip_locked=True)
                .filter(pk=checkout_id, status=CheckoutStatus.PENDING)
                .first()
            )
            if checkout is None:
                continue
            checkout.status = CheckoutStatus.EXPIRED
            checkout.completed_at = now
            checkout.save(update_fields=["status", "completed_at"])
            outcomes.checkout_closed(checkout)
            record_event(
                shop_id=checkout.shop_id,
                actor_id=None,
                action="payments.checkout.expired",
                target=checkout,
                data={"amount": checkout.amount, "reference": checkout.reference},
            )
            expired += 1
    return expired


# --- Inside the transaction -------------------------------------------------------------------


def _settle(
    *,
    shop: Shop,
    provider: PaymentProvider | None,
    order: Order,
    account: Account,
    figures: Quote,
    return_url: str,
) -> Checkout | None:
    """Reserve the part of the account the order uses, then accept the order or open its
    checkout row. The reservation's guarded UPDATE admits or refuses (NotEnoughToReserve)."""
    _check_payable(shop, provider, figures)
    expires_at = timezone.now() + CHECKOUT_LIFETIME if figures.to_pay else None
    if figures.on_account:
        ledger.reserve(
            account=account,
            amount=figures.on_account,
            reference=order.reservation_reference,
            floor=0 if figures.payment_required else WITHIN_LIMIT,
            expires_at=expires_at,
        )
    if figures.accepted_at_once:
        order.payment_state = OrderPaymentState.ACCOUNT
        order.save(update_fields=["payment_state"])
        record_event(
            shop_id=order.shop_id,
            actor_id=None,
            action="payments.order.accepted",
            target=order,
            data={"total": order.total, "on_account": figures.on_account},
        )
        notify_shop_of_order(order, shop)
        return None
    assert provider is not None  # _check_payable
    charge_ids: list[int] = []
    credit_ids: list[int] = []
    if figures.debt:
        charge_ids = list(open_charges(account).values_list("pk", flat=True))
        credit_ids = list(
            unapplied_credits(account).filter(earmark="").values_list("pk", flat=True)
        )
    if order.payment_state != OrderPaymentState.AWAITING:
        order.payment_state = OrderPaymentState.AWAITING
        order.save(update_fields=["payment_state"])
    checkout = new_checkout(
        account=account,
        provider_code=provider.code,
        amount=figures.to_pay,
        reference=order.reservation_reference,
        return_url=return_url.replace("{order}", str(order.pk)),
        purpose=CheckoutPurpose.ORDER,
        charge_ids=charge_ids,
        credit_ids=credit_ids,
        label=outcomes.payment_label(
            CheckoutPurpose.ORDER, order_id=order.pk, language=shop.language
        ),
        order=order,
        expires_at=expires_at,
    )
    record_event(
        shop_id=order.shop_id,
        actor_id=None,
        action="payments.order.awaiting_payment",
        target=order,
        data={
            "total": order.total,
            "on_account": figures.on_account,
            "debt": figures.debt,
            "to_pay": figures.to_pay,
            "checkout": checkout.pk,
        },
    )
    return checkout


def _pending_checkout(order: Order) -> Checkout | None:
    return (
        Checkout.objects.filter(shop_id=order.shop_id, order=order, status=CheckoutStatus.PENDING)
        .order_by("-id")
        .first()
    )


def _replay(order_id: int) -> OnlineOrder:
    """The first result of a key used again: the order and its latest checkout."""
    order = Order.objects.get(pk=order_id)
    return OnlineOrder(order=order, checkout=_latest_checkout(order))


def _latest_checkout(order: Order) -> Checkout | None:
    return Checkout.objects.filter(shop_id=order.shop_id, order=order).order_by("-id").first()


def _connect(checkout: Checkout | None, provider: PaymentProvider | None) -> Checkout | None:
    """After commit: the provider opens the checkout. If it fails, the checkout is declined and
    the order's hold released (`connect_checkout`): the order waits for a payment again, and
    the caller reads the declined checkout."""
    if checkout is None:
        return None
    try:
        return connect_checkout(checkout, provider)
    except OnlinePaymentUnavailable:
        checkout.refresh_from_db()
        return checkout
