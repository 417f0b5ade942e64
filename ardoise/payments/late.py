"""A payment the provider approved after Ardoise had closed its checkout: recorded, once.

A checkout ends unpaid here when its order's hold ran out (`orders.expire_checkouts`), when the
customer or the shop cancelled it, or when the provider said it expired; the provider may still
take the customer's money afterwards (a payer slow at its page, a webhook delayed or lost). That
money is recorded, through the same path as an approval on time (`online._record_checkout_payment`,
inside `online._handle_event`, with the checkout, then its order, then the account locked), and
keyed by the checkout like every online payment (`checkout:<id>`), so replays, the payer's return
and the reconciliation racing one another record at most one payment per checkout.

What the late payment then does:

- **Statement, amount owed, top-up**: what it would have done on time (it settles the charges
  it was for that are still open; the rest stays on the balance).
- **An order still waiting for its payment** (not delivered, payment state "awaiting"): the
  order's total is held again by the ledger's one guarded reservation, with the guard the order
  was placed under (only the positive balance when the shop requires payment, the credit limit
  when it does not), in a savepoint. Admitted: the order is paid, exactly as on time, and the
  shop is told of it. Refused (the balance moved meanwhile: a sale at the counter, another
  order): the savepoint undoes that attempt, the money is recorded as an ordinary payment, not
  kept for the order (a deposit on the customer's balance, counted by the next quote), and the
  order honestly still waits for its payment: the customer sees what is left to pay.
- **An order delivered while it waited**: the payment settles the order's charge, as on time.
- **Anything else** (the order was cancelled, or paid or accepted another way meanwhile, or
  another checkout for the same thing is live): the money stays on the customer's balance.

Every case where the money did not do what it was for is listed for the shop on the Payments to
check page (the event's outcome says why: `payment_recorded_late:<reason>`); the others are
listed there as information only. A checkout whose payment did what it was for becomes "paid"
(the live checkout of its reference, so that reference is not paid again). One whose money stayed
on the balance keeps its closed status, linked to its payment all the same (so it can be
refunded): the reference stays free for the payment the order still waits for, and another
checkout live for it keeps its place (at most one live checkout per reference).

A checkout *declined* by the provider is not recorded when an approval follows: the provider's
own final answer contradicted is for a person to look at (it stays "paid, not recorded").
"""

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.invoicing.models import Order, OrderPaymentState, OrderStatus
from ardoise.ledger.errors import NotEnoughToReserve
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.ledger.services.reservations import WITHIN_LIMIT, Floor
from ardoise.payments import outcomes
from ardoise.payments.models import (
    CLOSED_UNPAID,
    LATE_STATUSES,
    LIVE_CHECKOUT_STATUSES,
    Checkout,
    CheckoutStatus,
)
from ardoise.shops.models import Shop

RECORDED_LATE = "payment_recorded_late"


class LateReason:
    """Why a late payment stays on the balance instead of doing what it was for."""

    ORDER_CANCELLED = "order_cancelled"
    ORDER_SETTLED = "order_settled"  # paid or accepted another way meanwhile
    PAID_AGAIN = "paid_again"  # another checkout for the same reference is live
    NOT_HELD = "not_held"  # the guard refused the order's total: the balance moved


def can_pay_late(checkout: Checkout) -> bool:
    """Closed unpaid here, and no payment recorded for it yet."""
    return checkout.status in LATE_STATUSES and checkout.credit_id is None


def latest_closed(*, shop_id: int, reference: str, since: dt.datetime) -> Checkout | None:
    """The latest checkout for `reference` that ended unpaid here since `since`, unrecorded
    (index `payments_checkout_closed_ref`)."""
    return (
        Checkout.objects.filter(CLOSED_UNPAID, shop_id=shop_id, reference=reference)
        .filter(completed_at__gte=since)
        .order_by("-id")
        .first()
    )


def record_late_payment(
    *, checkout: Checkout, account: Account, charges: list[Charge], order: Order | None
) -> str:
    """Record the late payment of a locked checkout (see the module docstring); its outcome."""
    was = checkout.status
    reason = LateReason.PAID_AGAIN if _another_live(checkout) else ""
    if order is not None:
        credit, reason = _pay_order(checkout, account, charges, order, reason)
    else:
        credit = outcomes.record_credit(
            checkout=checkout, account=account, charges=charges, order=None
        )
    fields = ["credit"]
    if not reason:
        checkout.status = CheckoutStatus.APPROVED
        checkout.completed_at = timezone.now()
        fields += ["status", "completed_at"]
    checkout.credit = credit
    checkout.save(update_fields=fields)
    record_event(
        shop_id=checkout.shop_id,
        actor_id=None,
        action="payments.checkout.paid_late",
        target=checkout,
        data={
            "amount": checkout.amount,
            "credit": credit.pk,
            "reference": checkout.reference,
            "was": was,
            "kept_on_balance": reason,
        },
    )
    return f"{RECORDED_LATE}:{reason}" if reason else RECORDED_LATE


def _another_live(checkout: Checkout) -> bool:
    """Another pending or paid checkout for the same reference. Read under the order's and the
    account's locks, which every new checkout for the reference takes first, so none appears
    before this transaction commits."""
    return (
        Checkout.objects.filter(
            shop_id=checkout.shop_id,
            reference=checkout.reference,
            status__in=LIVE_CHECKOUT_STATUSES,
        )
        .exclude(pk=checkout.pk)
        .exists()
    )


def _pay_order(
    checkout: Checkout, account: Account, charges: list[Charge], order: Order, reason: str
) -> tuple[Credit, str]:
    if not reason and order.status == OrderStatus.CANCELLED:
        reason = LateReason.ORDER_CANCELLED
    elif not reason and order.payment_state != OrderPaymentState.AWAITING:
        reason = LateReason.ORDER_SETTLED
    if reason:
        return _on_balance(checkout, account, charges), reason
    if order.status != OrderStatus.OPEN:  # delivered while it waited: settles its charge
        credit = outcomes.record_credit(
            checkout=checkout, account=account, charges=charges, order=order
        )
        return credit, ""
    try:
        with transaction.atomic():  # a savepoint: the guard's refusal undoes this attempt only
            credit = outcomes.record_credit(
                checkout=checkout, account=account, charges=charges, order=order
            )
            outcomes.hold_order_total(order, floor=_order_guard(order))
    except NotEnoughToReserve:
        return _on_balance(checkout, account, charges), LateReason.NOT_HELD
    outcomes.order_paid(checkout=checkout, order=order)
    return credit, ""


def _on_balance(checkout: Checkout, account: Account, charges: list[Charge]) -> Credit:
    """The payment, kept for no order: it settles the debt it was for, the rest is a deposit."""
    return outcomes.record_credit(checkout=checkout, account=account, charges=charges, order=None)


def _order_guard(order: Order) -> Floor:
    """The guard the order was placed under: only the positive balance when the shop requires
    payment, the credit limit when it does not."""
    required = Shop.objects.values_list("order_payment_required", flat=True).get(pk=order.shop_id)
    return 0 if required else WITHIN_LIMIT
