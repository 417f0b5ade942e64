"""What a checkout's outcome does, by its purpose: the money an approval records, and what an
online order holds on the account when its checkout is paid, declined, expired or cancelled.

Called by `payments.online` inside the transaction that handles a provider's confirmation, with
the checkout row locked, and by `payments.orders` when a checkout expires or its order is
cancelled. Locks, always in this order: the checkout, then its order, then (through the ledger
services) the reservation and the account row; delivery and cancelling lock the order before the
account too, so none of these waits for another in a cycle.

- **Approved** (`record_credit`, then `after_payment`): exactly one ledger credit, keyed by the
  checkout (`checkout:<id>`). A statement's or the amount owed's payment settles the checkout's
  charges (the credits the payer counted first); a top-up is a prepayment; an order's payment
  first settles the debt the order's amount included (its `charge_ids`), then waits, earmarked,
  for the order's charge. The order is then accepted: what it held of the balance is released
  and its whole total is held, without a guard (the money is in), until delivery consumes it.
  An order cancelled meanwhile takes nothing: the payment stays on the balance. The shop is
  emailed about the order accepted, if it asked to be (`payments.tasks`), after commit.
- **Declined, expired or cancelled** (`checkout_closed`): what the order held of the balance is
  released, so the balance is as it was; the order waits for a payment again (or is cancelled).
- **Approved after it expired or was cancelled** (`payments.late`): the payment is recorded all
  the same; an order still waiting for it is held again with the guard it was placed under
  (`hold_order_total`, in a savepoint) and paid, or, refused, the money stays on the balance.
"""

from django.utils import translation
from django.utils.translation import gettext

from ardoise.audit.services import record_event
from ardoise.invoicing.models import Order, OrderPaymentState, OrderStatus
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.ledger.services.reservations import Floor
from ardoise.payments.models import BuiltInMode, Checkout, CheckoutPurpose
from ardoise.payments.order_emails import notify_shop_of_order
from ardoise.shops.models import Shop


def lock_order(checkout: Checkout) -> Order | None:
    """The checkout's order, locked (before the account row), or None for other purposes."""
    if checkout.purpose != CheckoutPurpose.ORDER or checkout.order_id is None:
        return None
    return Order.objects.select_for_update().get(pk=checkout.order_id)


def record_credit(
    *, checkout: Checkout, account: Account, charges: list[Charge], order: Order | None
) -> Credit:
    """The one credit an approved checkout records (its key is the checkout's)."""
    key = f"checkout:{checkout.pk}"
    reference = checkout.label or checkout.reference
    if checkout.purpose == CheckoutPurpose.TOP_UP:
        return ledger.record_top_up(
            account=account,
            amount=checkout.amount,
            mode=BuiltInMode.ONLINE,
            idempotency_key=key,
            actor=None,
            reference=reference,
        )
    earmark = ""
    if order is not None and order.status != OrderStatus.CANCELLED:
        earmark = order.reservation_reference  # the order's charge, now or once delivered
    return ledger.record_payment(
        account=account,
        amount=checkout.amount,
        mode=BuiltInMode.ONLINE,
        idempotency_key=key,
        actor=None,
        reference=reference,
        earmark=earmark,
        apply_to=charges,
    )


def after_payment(*, checkout: Checkout, order: Order | None) -> None:
    """An open order whose checkout is paid is accepted: its hold becomes its whole total."""
    if order is None or order.status != OrderStatus.OPEN:
        return
    hold_order_total(order, floor=None)
    order_paid(checkout=checkout, order=order)


def hold_order_total(order: Order, *, floor: Floor) -> None:
    """What the order holds becomes its whole total: released, then held again by the ledger's
    guarded reservation (`floor=None`: no guard, the money is in). A refusal raises
    `NotEnoughToReserve`; the caller's savepoint then undoes the release too."""
    account = order.account
    reference = order.reservation_reference
    ledger.release(account=account, reference=reference)
    ledger.reserve(account=account, amount=order.total, reference=reference, floor=floor)


def order_paid(*, checkout: Checkout, order: Order) -> None:
    """The order is paid (its total held): marked so, audited, and the shop told after commit."""
    order.payment_state = OrderPaymentState.PAID
    order.save(update_fields=["payment_state"])
    record_event(
        shop_id=order.shop_id,
        actor_id=None,
        action="payments.order.paid",
        target=order,
        data={"checkout": checkout.pk, "amount": checkout.amount, "total": order.total},
    )
    notify_shop_of_order(order, Shop.objects.get(pk=order.shop_id))


def checkout_closed(checkout: Checkout) -> None:
    """A checkout that will not be paid (declined, expired, cancelled, never opened): what its
    order held of the balance goes back. Nothing to do for other purposes."""
    if checkout.purpose != CheckoutPurpose.ORDER or checkout.order_id is None:
        return
    order = Order.objects.select_related("account").get(pk=checkout.order_id)
    if order.status != OrderStatus.OPEN or order.payment_state != OrderPaymentState.AWAITING:
        return
    ledger.release(account=order.account, reference=order.reservation_reference)


def payment_label(purpose: str, *, order_id: int | None, language: str) -> str:
    """What the customer's account reads for an online payment, in the shop's language."""
    with translation.override(language):
        if purpose == CheckoutPurpose.ORDER:
            return gettext("Order No. %(number)s paid online") % {"number": order_id}
        if purpose == CheckoutPurpose.TOP_UP:
            return gettext("Top-up paid online")
        return gettext("Amount owed paid online")
