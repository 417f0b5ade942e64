"""Reads of payment modes, settlements, the money received and online checkouts, always scoped to
a shop. (The weekly Payments page, built from the money received, is `payments.week`.)

`money_received` (and `receipts`, its stream) is the one reading of "what came in": the Payments
page, the exports and the Account tab all count from it, so the same invoice reads the same way
everywhere.

- Money counts on the day it was **received** (`Credit.received_on`), not the day of the invoice
  it pays: a cash payment taken today on an invoice of three weeks ago is in today's week.
- Payments and top-ups (with or without an invoice) are money received in their mode.
- A refund paid out (cash back, card refund: a credit note's payout) is negative money in its
  mode, on the day of the refund.
- A deduction from the prepaid balance ("deducted from the account") is listed in its own
  column but is not money received: that money was counted when it was paid in. It is either an
  explicit settlement by the "account" mode (on its date received), or an **automatic
  deduction**: an allocation of a credit to an invoice's charge posted *after* that credit (a
  top-up or an over-payment received earlier applied to a new sale), on the day the allocation
  was made, in the shop's time zone. An allocation of a credit to a charge posted before it is
  the payment itself (a cash settlement earmarked to its invoice, a payment on account settling
  the oldest invoice), counted once, as money. The allocations an "account" settlement made
  (its `sources`) are read through the settlement, not twice.
- Reversed payments, refunds and deductions count nowhere: a reversal corrects a mistake. An
  automatic deduction onto a sale reversed since, or from a credit reversed since, counts nowhere
  either (the reversal's unallocation with it); other unallocations count, negative, on their day.
"""

import datetime as dt
import heapq
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.invoicing.models import Invoice
from ardoise.ledger.models import Allocation, ChargeStatus, Credit, CreditKind, CreditStatus
from ardoise.payments.models import (
    BuiltInMode,
    Checkout,
    CheckoutStatus,
    OnlinePaymentSettings,
    PaymentMode,
    Settlement,
    SettlementStatus,
)
from ardoise.payments.providers.base import PaymentProvider
from ardoise.payments.providers.registry import shop_provider
from ardoise.shops.models import Shop

RECEIVED_ON_HISTORY = dt.timedelta(days=365)

ACCOUNT = BuiltInMode.ACCOUNT.value
CHUNK_SIZE = 2000


def accepted_modes(shop_id: int) -> list[PaymentMode]:
    return list(PaymentMode.objects.for_shop(shop_id).accepted())


def manual_modes(shop_id: int) -> list[PaymentMode]:
    """The accepted modes staff may record by hand: all but "online", which only a provider's
    confirmation records."""
    return [mode for mode in accepted_modes(shop_id) if mode.code != BuiltInMode.ONLINE]


def earliest_received_on(shop: Shop) -> dt.date:
    """The oldest date received a payment may carry: a year before the shop was created. A shop
    keys in what it took before it used Ardoise, within a year; older is a typing mistake."""
    return timezone.localdate(shop.created_at) - RECEIVED_ON_HISTORY


def settlements_for_invoice(invoice: Invoice) -> list[Settlement]:
    return list(
        Settlement.objects.filter(shop_id=invoice.shop_id, invoice=invoice)
        .select_related("credit", "reversal_entry", "actor")
        .order_by("created_at", "id")
    )


def cell_state(invoice: Invoice, mode: str) -> tuple[int, int]:
    """What the Payments page shows in one cell: the amount settled by `mode`, and its version
    (the id of the latest active settlement, 0 when none) that a change must name."""
    active = list(
        Settlement.objects.filter(
            invoice=invoice, mode=mode, status=SettlementStatus.ACTIVE
        ).values_list("pk", "amount")
    )
    return sum(amount for _, amount in active), max((pk for pk, _ in active), default=0)


# --- Money received ---------------------------------------------------------------------------


class ReceiptKind:
    PAYMENT = "payment"
    TOP_UP = "top_up"
    REFUND = "refund"
    DEDUCTION = "deduction"

    LABELS: dict[str, StrOrPromise] = {
        PAYMENT: _("Payment"),
        TOP_UP: _("Top-up"),
        REFUND: _("Refund paid out"),
        DEDUCTION: _("Deducted from the account"),
    }


@dataclass(slots=True)
class Receipt:
    """One movement of money (or one deduction from the account), on the day it happened.

    `amount` is signed: a refund paid out is negative. `settlement_id` is set when the movement
    settled an invoice from the Payments page or the invoice's foot, `allocation_id` when it is
    an automatic deduction from the account onto an invoice: it then belongs to that invoice's
    row; otherwise (a payment on account, a top-up, a refund) it is a row of its own,
    keyed by `credit_id`. Slotted rather than frozen: one is built per row of a streamed export,
    and a frozen dataclass costs three times as much to build.
    """

    day: dt.date
    kind: str
    mode: str
    amount: int
    customer_id: int
    customer_name: str
    reference: str = ""
    invoice_id: int | None = None
    invoice_number: str = ""
    charge_id: int | None = None
    credit_id: int | None = None
    settlement_id: int | None = None
    allocation_id: int | None = None

    @property
    def is_money(self) -> bool:
        """Money that changed hands; a deduction from the account is not."""
        return self.kind != ReceiptKind.DEDUCTION

    @property
    def kind_label(self) -> StrOrPromise:
        return ReceiptKind.LABELS[self.kind]

    @property
    def on_invoice_row(self) -> bool:
        return self.invoice_id is not None and (
            self.settlement_id is not None or self.allocation_id is not None
        )


@dataclass(frozen=True)
class MoneyReceived:
    """What came in from `start` to `end` (inclusive), oldest first."""

    start: dt.date
    end: dt.date
    receipts: list[Receipt] = field(default_factory=list)

    @property
    def by_mode(self) -> dict[str, int]:
        """Money by mode (refunds subtracted), deductions under "account"."""
        totals: dict[str, int] = defaultdict(int)
        for receipt in self.receipts:
            totals[receipt.mode] += receipt.amount
        return dict(totals)

    @property
    def total(self) -> int:
        """The money that came in: every mode but the deductions from the account."""
        return sum(receipt.amount for receipt in self.receipts if receipt.is_money)

    @property
    def deducted(self) -> int:
        return sum(receipt.amount for receipt in self.receipts if not receipt.is_money)

    @property
    def modes(self) -> list[str]:
        """The modes that appear, in order of first appearance."""
        return list(dict.fromkeys(receipt.mode for receipt in self.receipts))

    def for_customer(self, customer_id: int) -> "MoneyReceived":
        return MoneyReceived(
            start=self.start,
            end=self.end,
            receipts=[r for r in self.receipts if r.customer_id == customer_id],
        )


@dataclass(frozen=True)
class _Sources:
    credits: QuerySet[Credit]
    deductions: QuerySet[Settlement]
    allocations: QuerySet[Allocation]
    settled_pairs: QuerySet[Settlement]


def _sources(shop_id: int, start: dt.date, end: dt.date, *, customer_id: int | None) -> _Sources:
    """Where money received is read: active payments, top-ups and refunds paid out, by the day
    received; active deductions from the account, but not those a reversed sale released; the
    automatic deductions (allocations of a credit to a later invoice), by the day they were made.
    `settled_pairs` are the "account" settlements whose allocations the automatic deductions
    leave out (they are read through the settlement)."""
    credits = Credit.objects.filter(
        Q(kind__in=[CreditKind.PAYMENT, CreditKind.TOP_UP])
        | Q(kind=CreditKind.CREDIT_NOTE, payout_amount__gt=0),
        shop_id=shop_id,
        status=CreditStatus.ACTIVE,
        received_on__gte=start,
        received_on__lte=end,
    )
    deductions = Settlement.objects.filter(
        shop_id=shop_id,
        mode=ACCOUNT,
        status=SettlementStatus.ACTIVE,
        received_on__gte=start,
        received_on__lte=end,
    ).exclude(invoice__charge__status=ChargeStatus.VOID)  # a reversed sale released them
    since, until = _local_day_bounds(start, end)
    allocations = Allocation.objects.filter(
        shop_id=shop_id,
        created_at__gte=since,
        created_at__lt=until,
        charge__invoice__isnull=False,
        charge__created_at__gt=F("credit__created_at"),  # the credit was there before the sale
        credit__status=CreditStatus.ACTIVE,  # a reversed credit deducted nothing
    ).exclude(charge__status=ChargeStatus.VOID)  # a reversed sale released it
    # An "account" settlement's allocations are made (and released) near its creation or its
    # reversal; a day's margin either side of the range finds every one that may be listed.
    margin = dt.timedelta(days=1)
    settled_pairs = Settlement.objects.filter(
        Q(created_at__gte=since - margin, created_at__lt=until + margin)
        | Q(reversed_at__gte=since - margin, reversed_at__lt=until + margin),
        shop_id=shop_id,
        mode=ACCOUNT,
    )
    if customer_id is not None:
        credits = credits.filter(account__customer_id=customer_id)
        deductions = deductions.filter(invoice__charge__account__customer_id=customer_id)
        allocations = allocations.filter(charge__account__customer_id=customer_id)
        settled_pairs = settled_pairs.filter(invoice__charge__account__customer_id=customer_id)
    return _Sources(credits, deductions, allocations, settled_pairs)


def _local_day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """From `start` 00:00 to the day after `end` 00:00, in the shop's time zone."""
    zone = timezone.get_current_timezone()
    return (
        timezone.make_aware(dt.datetime.combine(start, dt.time.min), zone),
        timezone.make_aware(dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min), zone),
    )


def _settled_pairs(settlements: QuerySet[Settlement]) -> set[tuple[int, int]]:
    """(credit id, charge id) of the allocations "account" settlements made."""
    return {
        (int(credit_id), charge_id)
        for charge_id, sources in settlements.values_list("invoice__charge_id", "sources")
        for credit_id, _amount in sources or []
    }


def modes_received(shop_id: int, start: dt.date, end: dt.date) -> set[str]:
    """The modes money came in (or went out) by from `start` to `end`; "account" when something
    was deducted from the account. Two to four queries."""
    sources = _sources(shop_id, start, end, customer_id=None)
    modes = {
        payout_mode if kind == CreditKind.CREDIT_NOTE else mode
        for kind, mode, payout_mode in sources.credits.values_list(
            "kind", "mode", "payout_mode"
        ).distinct()
    }
    if sources.deductions.exists() or any(
        True for _receipt in _allocation_receipts(sources, chunk_size=CHUNK_SIZE)
    ):
        modes.add(ACCOUNT)
    return modes - {""}


def receipts(
    shop_id: int,
    start: dt.date,
    end: dt.date,
    *,
    customer_id: int | None = None,
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[Receipt]:
    """Money received (and deductions from the account) from `start` to `end`, by the day it was
    received, for the shop or one of its customers; streamed in chunks, in the order things
    happened (by day, then by when each was recorded). Three queries, read side by side, and a
    fourth when something was allocated in the range (the "account" settlements' own)."""
    sources = _sources(shop_id, start, end, customer_id=customer_id)
    order = ("received_on", "created_at", "id")
    from_credits = (
        (row[0], row[1], _credit_receipt(row))
        for row in sources.credits.order_by(*order).values_list(*CREDIT_FIELDS).iterator(chunk_size)
    )
    from_deductions = (
        (row[0], row[1], _deduction_receipt(row))
        for row in sources.deductions.order_by(*order)
        .values_list(*DEDUCTION_FIELDS)
        .iterator(chunk_size)
    )
    from_allocations = _allocation_receipts(sources, chunk_size=chunk_size)
    for item in heapq.merge(
        from_credits, from_deductions, from_allocations, key=lambda item: item[:2]
    ):
        yield item[2]


def _allocation_receipts(
    sources: _Sources, *, chunk_size: int
) -> Iterator[tuple[dt.date, dt.datetime, Receipt]]:
    """The automatic deductions, by the day (in the shop's time zone) they were made."""
    settled: set[tuple[int, int]] | None = None  # read at the first allocation: one query
    zone = timezone.get_current_timezone()
    rows = (
        sources.allocations.order_by("created_at", "id")
        .values_list(*ALLOCATION_FIELDS)
        .iterator(chunk_size)
    )
    for row in rows:
        if settled is None:
            settled = _settled_pairs(sources.settled_pairs)
        if (row[2], row[3]) in settled:
            continue
        day = timezone.localtime(row[0], zone).date()
        yield day, row[0], _allocation_receipt(day, row)


def money_received(
    shop_id: int, start: dt.date, end: dt.date, *, customer_id: int | None = None
) -> MoneyReceived:
    """What came in from `start` to `end`, read once into a list (a week, an account's range):
    see `receipts` for what counts. Three or four queries."""
    return MoneyReceived(
        start=start, end=end, receipts=list(receipts(shop_id, start, end, customer_id=customer_id))
    )


CREDIT_FIELDS = (
    "received_on",
    "created_at",
    "pk",
    "kind",
    "mode",
    "amount",
    "payout_amount",
    "payout_mode",
    "reference",
    "account__customer_id",
    "account__customer__name",
    "account__customer__company",
    "settlement__pk",
    "settlement__invoice_id",
    "settlement__invoice__number",
    "settlement__invoice__charge_id",
    "against_charge_id",
    "against_charge__invoice__pk",
    "against_charge__invoice__number",
)
DEDUCTION_FIELDS = (
    "received_on",
    "created_at",
    "pk",
    "amount",
    "invoice_id",
    "invoice__number",
    "invoice__charge_id",
    "invoice__charge__account__customer_id",
    "invoice__charge__account__customer__name",
    "invoice__charge__account__customer__company",
)

ALLOCATION_FIELDS = (
    "created_at",
    "pk",
    "credit_id",
    "charge_id",
    "amount",
    "charge__invoice__pk",
    "charge__invoice__number",
    "charge__account__customer_id",
    "charge__account__customer__name",
    "charge__account__customer__company",
)


def _credit_receipt(row: tuple[Any, ...]) -> Receipt:
    # Tuples, not dicts: the exports stream a year of payments through here.
    (
        day,
        _created_at,
        pk,
        kind,
        mode,
        amount,
        payout_amount,
        payout_mode,
        reference,
        customer_id,
        name,
        company,
        settlement_id,
        invoice_id,
        invoice_number,
        charge_id,
        refunded_charge_id,
        refunded_invoice_id,
        refunded_invoice_number,
    ) = row
    if kind == CreditKind.CREDIT_NOTE:
        return Receipt(
            day,
            ReceiptKind.REFUND,
            payout_mode,
            -payout_amount,
            customer_id,
            f"{name} ({company})" if company else name,
            reference,
            refunded_invoice_id,
            refunded_invoice_number or "",
            refunded_charge_id,
            pk,
            None,
        )
    return Receipt(
        day,
        ReceiptKind.PAYMENT if kind == CreditKind.PAYMENT else ReceiptKind.TOP_UP,
        mode,
        amount,
        customer_id,
        f"{name} ({company})" if company else name,
        reference,
        invoice_id,
        invoice_number or "",
        charge_id,
        pk,
        settlement_id,
    )


def _deduction_receipt(row: tuple[Any, ...]) -> Receipt:
    day, _created_at, pk, amount, invoice_id, number, charge_id, customer_id, name, company = row
    return Receipt(
        day,
        ReceiptKind.DEDUCTION,
        ACCOUNT,
        amount,
        customer_id,
        f"{name} ({company})" if company else name,
        number,
        invoice_id,
        number,
        charge_id,
        None,
        pk,
    )


def _allocation_receipt(day: dt.date, row: tuple[Any, ...]) -> Receipt:
    (
        _created_at,
        pk,
        credit_id,
        charge_id,
        amount,
        invoice_id,
        number,
        customer_id,
        name,
        company,
    ) = row
    return Receipt(
        day,
        ReceiptKind.DEDUCTION,
        ACCOUNT,
        amount,
        customer_id,
        f"{name} ({company})" if company else name,
        number,
        invoice_id,
        number,
        charge_id,
        credit_id,
        None,
        pk,
    )


# --- Online payment ---------------------------------------------------------------------------


def online_provider_for(shop_id: int) -> PaymentProvider | None:
    """The shop's online payment provider, or None when it takes no online payment (none chosen,
    or one this installation no longer offers)."""
    code = (
        OnlinePaymentSettings.objects.filter(shop_id=shop_id)
        .values_list("provider", flat=True)
        .first()
    )
    return shop_provider(shop_id, code) if code else None


def live_checkout(*, shop_id: int, reference: str) -> Checkout | None:
    """The pending or approved checkout for `reference`, if any (there is at most one)."""
    return (
        Checkout.objects.filter(shop_id=shop_id, reference=reference)
        .filter(status__in=[CheckoutStatus.PENDING, CheckoutStatus.APPROVED])
        .first()
    )
