"""Reconciliation: ask the providers about what is still open, and list what does not agree.

`reconcile` (the periodic task, and `manage.py reconcile_payments`) goes through, in order:

1. notifications stored but not handled a minute later (the worker was down, the provider's API
   did not answer): handled again;
2. checkouts still pending `PENDING_AFTER` after they were opened: read from the provider and
   recorded through the same path as a notification (paid, failed, expired); a checkout whose
   creation never came back (no provider id) is declined, since no payer was ever sent to it;
3. checkouts that ended unpaid here (expired, cancelled) in the last `LATE_ASKED_FOR`: asked
   whether the provider took the money after all; an approval is recorded late
   (`payments.late`), even when its notification never comes;
4. refunds sent and still unanswered or pending: read back from the provider.

Each step takes ids, re-reads and records through the one path, so running it twice, or at the
same time as a webhook, records nothing twice. A provider that cannot be reached is left for the
next run.

`mismatches(shop_id)` is what the owner's page lists: money the provider took that Ardoise did
not record (a confirmation for a checkout we never opened, another amount, a payment after we
had given the checkout up), payments Ardoise recorded that the provider says did not happen,
checkouts that could not be opened, checkouts still pending long after they should have ended,
notifications left unhandled, refunds confirmed but not in the ledger or still unanswered; and
payments approved after their checkout had ended here, recorded late: for information, or to
check when the money stayed on the customer's balance instead of paying its order. A late
approval once recorded is no longer listed as paid and not recorded.
"""

import datetime as dt
import logging
from dataclasses import dataclass

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy

from ardoise.payments.handling import LATE_ASKED_FOR, handle_notification, refresh_checkout
from ardoise.payments.late import RECORDED_LATE, LateReason
from ardoise.payments.models import (
    CLOSED_UNPAID,
    Checkout,
    CheckoutStatus,
    ProviderEvent,
    ProviderRefund,
    RefundStatus,
)
from ardoise.payments.providers.base import ProviderError, ProviderStatus
from ardoise.payments.refunding import open_refunds, settle_refund

logger = logging.getLogger(__name__)

PENDING_AFTER = dt.timedelta(minutes=5)
UNHANDLED_AFTER = dt.timedelta(minutes=1)
ASKED_FOR = dt.timedelta(days=7)  # older pending checkouts are listed, no longer asked about
STUCK_AFTER = dt.timedelta(hours=2)  # every provider has ended a checkout by then
LISTED_FOR = dt.timedelta(days=60)


@dataclass(frozen=True)
class ReconciliationRun:
    events_handled: int = 0
    checkouts_asked: int = 0
    checkouts_ended: int = 0
    refunds_asked: int = 0
    unreachable: int = 0
    closed_asked: int = 0
    paid_late: int = 0


def reconcile(*, now: dt.datetime | None = None) -> ReconciliationRun:
    now = now or timezone.now()
    handled = asked = ended = refunds = unreachable = 0
    unhandled = ProviderEvent.objects.filter(
        handled_at__isnull=True, received_at__lt=now - UNHANDLED_AFTER
    ).values_list("pk", flat=True)
    for event_id in list(unhandled):
        try:
            handle_notification(event_id)
            handled += 1
        except ProviderError as error:
            unreachable += 1
            logger.warning("payment event %s still not handled: %s", event_id, error)
    Checkout.objects.filter(
        status=CheckoutStatus.PENDING, provider_checkout_id="", created_at__lt=now - PENDING_AFTER
    ).update(
        status=CheckoutStatus.DECLINED,
        completed_at=now,
        provider_error="the provider never answered the opening of this checkout",
    )
    pending = Checkout.objects.filter(
        status=CheckoutStatus.PENDING,
        created_at__lt=now - PENDING_AFTER,
        created_at__gte=now - ASKED_FOR,
    ).exclude(provider_checkout_id="")
    for checkout in pending.order_by("id"):
        asked += 1
        try:
            if refresh_checkout(checkout).status != CheckoutStatus.PENDING:
                ended += 1
        except ProviderError as error:
            unreachable += 1
            logger.warning("checkout %s not reconciled: %s", checkout.pk, error)
    closed_asked, paid_late, down = _ask_closed(now)
    unreachable += down
    for refund_id in open_refunds(older_than=now - UNHANDLED_AFTER):
        refunds += 1
        settle_refund(refund_id)
    return ReconciliationRun(handled, asked, ended, refunds, unreachable, closed_asked, paid_late)


def _ask_closed(now: dt.datetime) -> tuple[int, int, int]:
    """Ask about the checkouts that ended unpaid here lately: (asked, paid late, unreachable)."""
    asked = paid_late = unreachable = 0
    # index `payments_checkout_closed_at`: the last two hours' rows only
    closed = Checkout.objects.filter(CLOSED_UNPAID, completed_at__gte=now - LATE_ASKED_FOR)
    for checkout in closed.order_by("id"):
        asked += 1
        try:
            if refresh_checkout(checkout).credit_id is not None:
                paid_late += 1
        except ProviderError as error:
            unreachable += 1
            logger.warning("closed checkout %s not asked: %s", checkout.pk, error)
    return asked, paid_late, unreachable


# --- What the owner's page lists -------------------------------------------------------------


class MismatchKind:
    PAID_NOT_RECORDED = "paid_not_recorded"
    RECORDED_NOT_PAID = "recorded_not_paid"
    NOT_OPENED = "not_opened"
    STILL_PENDING = "still_pending"
    NOT_HANDLED = "not_handled"
    REFUND_NOT_RECORDED = "refund_not_recorded"
    REFUND_UNANSWERED = "refund_unanswered"
    # Approved after the checkout had ended here, and recorded: information only, or (the money
    # stayed on the customer's balance instead of paying its order) to check.
    PAID_LATE = "paid_late"
    PAID_LATE_ON_BALANCE = "paid_late_on_balance"


@dataclass(frozen=True)
class Mismatch:
    kind: str
    when: dt.datetime
    provider: str
    amount: int | None
    currency: str
    provider_checkout_id: str = ""
    checkout: Checkout | None = None
    event: ProviderEvent | None = None
    refund: ProviderRefund | None = None
    detail: str = ""


def mismatches(shop_id: int, *, now: dt.datetime | None = None) -> list[Mismatch]:
    """What does not agree between the shop's providers and its ledger, newest first."""
    now = now or timezone.now()
    since = now - LISTED_FOR
    found = [
        *_event_mismatches(shop_id, since, now),
        *_checkout_mismatches(shop_id, since, now),
        *_refund_mismatches(shop_id, since, now),
    ]
    return sorted(found, key=lambda mismatch: mismatch.when, reverse=True)


def _event_mismatches(shop_id: int, since: dt.datetime, now: dt.datetime) -> list[Mismatch]:
    events = (
        ProviderEvent.objects.filter(shop_id=shop_id, received_at__gte=since)
        .filter(
            # the provider says paid, and no payment came of it
            Q(reported_status=ProviderStatus.APPROVED)
            & ~Q(outcome__in=["payment_recorded", "already_approved"])
            & ~Q(outcome__startswith=RECORDED_LATE)
            # (an approval arriving for a checkout already closed here that another event has
            # since recorded: a late payment, listed below, once)
            & ~Q(outcome__startswith="already_", checkout__credit__isnull=False)
            & Q(handled_at__isnull=False)
            # or a payment recorded after its checkout had ended here
            | Q(outcome__startswith=RECORDED_LATE)
            # or a payment we recorded, that the provider says did not happen
            | Q(
                reported_status__in=[ProviderStatus.DECLINED, ProviderStatus.EXPIRED],
                outcome="already_approved",
            )
            | Q(handled_at__isnull=True, received_at__lt=now - UNHANDLED_AFTER)
        )
        .select_related("checkout")
        .order_by("-received_at")
    )
    rows = []
    for event in events:
        detail = event.outcome
        if event.handled_at is None:
            kind = MismatchKind.NOT_HANDLED
        elif event.outcome == RECORDED_LATE:
            kind, detail = MismatchKind.PAID_LATE, ""
        elif event.outcome.startswith(RECORDED_LATE):
            kind = MismatchKind.PAID_LATE_ON_BALANCE
            detail = str(ON_BALANCE_BECAUSE.get(event.outcome.rpartition(":")[2], ""))
        elif event.reported_status == ProviderStatus.APPROVED:
            kind = MismatchKind.PAID_NOT_RECORDED
        else:
            kind = MismatchKind.RECORDED_NOT_PAID
        rows.append(
            Mismatch(
                kind=kind,
                when=event.received_at,
                provider=event.provider,
                amount=event.reported_amount
                if event.reported_amount is not None
                else (event.checkout.amount if event.checkout else None),
                currency=event.reported_currency
                or (event.checkout.currency if event.checkout else ""),
                provider_checkout_id=event.provider_checkout_id,
                checkout=event.checkout,
                event=event,
                detail=detail,
            )
        )
    return rows


ON_BALANCE_BECAUSE = {
    LateReason.ORDER_CANCELLED: gettext_lazy(
        "The order had been cancelled: the money is on the customer's balance."
    ),
    LateReason.ORDER_SETTLED: gettext_lazy(
        "The order had been paid or accepted another way: the money is on the customer's balance."
    ),
    LateReason.PAID_AGAIN: gettext_lazy(
        "Another payment had been started for the same thing: the money is on the customer's "
        "balance."
    ),
    LateReason.NOT_HELD: gettext_lazy(
        "The balance had changed and no longer covered the order, which still waits for its "
        "payment: the money is on the customer's balance."
    ),
}


def _checkout_mismatches(shop_id: int, since: dt.datetime, now: dt.datetime) -> list[Mismatch]:
    checkouts = Checkout.objects.filter(shop_id=shop_id, created_at__gte=since).filter(
        ~Q(provider_error="") | Q(status=CheckoutStatus.PENDING, created_at__lt=now - STUCK_AFTER)
    )
    return [
        Mismatch(
            kind=MismatchKind.NOT_OPENED if checkout.provider_error else MismatchKind.STILL_PENDING,
            when=checkout.created_at,
            provider=checkout.provider,
            amount=checkout.amount,
            currency=checkout.currency,
            provider_checkout_id=checkout.provider_checkout_id,
            checkout=checkout,
            detail=checkout.provider_error,
        )
        for checkout in checkouts.order_by("-created_at")
    ]


def _refund_mismatches(shop_id: int, since: dt.datetime, now: dt.datetime) -> list[Mismatch]:
    refunds = (
        ProviderRefund.objects.filter(shop_id=shop_id, created_at__gte=since)
        .filter(
            Q(status=RefundStatus.CONFIRMED, credit__isnull=True)
            | Q(status=RefundStatus.REQUESTED, created_at__lt=now - PENDING_AFTER)
        )
        .select_related("checkout")
    )
    return [
        Mismatch(
            kind=MismatchKind.REFUND_NOT_RECORDED
            if refund.status == RefundStatus.CONFIRMED
            else MismatchKind.REFUND_UNANSWERED,
            when=refund.created_at,
            provider=refund.checkout.provider,
            amount=refund.payout,
            currency=refund.checkout.currency,
            provider_checkout_id=refund.checkout.provider_checkout_id,
            checkout=refund.checkout,
            refund=refund,
            detail=refund.message,
        )
        for refund in refunds.order_by("-created_at")
    ]
