"""Reads of payment modes, settlements, the weekly Payments page and online checkouts, always
scoped to a shop."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils import timezone

from ardoise.invoicing.models import Invoice
from ardoise.ledger.models import Credit, CreditKind, CreditStatus
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
from ardoise.payments.providers.registry import get_provider
from ardoise.shops.models import Shop

RECEIVED_ON_HISTORY = dt.timedelta(days=365)


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


def week_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def parse_week(value: str, default: dt.date) -> dt.date:
    """`2026-W03` (what <input type=week> sends) or a date, to that week's Monday."""
    try:
        if "W" in value:
            year, week = value.split("-W")
            return dt.date.fromisocalendar(int(year), int(week), 1)
        return week_of(dt.date.fromisoformat(value))
    except ValueError:
        return week_of(default)


@dataclass
class WeekRow:
    day: dt.date
    customer_id: int
    customer_name: str
    total: int
    invoice: Invoice | None = None
    credit: Credit | None = None
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)  # mode: (amount, version)

    @property
    def is_invoice(self) -> bool:
        return self.invoice is not None

    def amount(self, mode: str) -> int:
        return self.cells.get(mode, (0, 0))[0]


@dataclass
class Week:
    monday: dt.date
    modes: list[str]
    rows: list[WeekRow]

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def iso(self) -> str:
        year, week, _ = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def totals(self) -> dict[str, int]:
        return {mode: sum(row.amount(mode) for row in self.rows) for mode in self.modes}

    @property
    def grand_total(self) -> int:
        return sum(self.totals.values())


def latest_invoice_day_before(shop_id: int, day: dt.date) -> dt.date | None:
    """The last day before `day` an invoice was issued: where an empty week points to."""
    return (
        Invoice.objects.for_shop(shop_id)
        .filter(issued_on__lt=day)
        .order_by("-issued_on")
        .values_list("issued_on", flat=True)
        .first()
    )


def payments_week(shop_id: int, monday: dt.date, modes: list[str]) -> Week:
    """The Payments page: a row per invoice issued in the week, with what each mode settled,
    and a row per payment received in the week that settled no invoice. Three queries."""
    sunday = monday + dt.timedelta(days=6)
    invoices = list(
        Invoice.objects.for_shop(shop_id)
        .filter(issued_on__gte=monday, issued_on__lte=sunday)
        .select_related("charge", "order")
        .order_by("issued_on", "sequence")
    )
    cells: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    settled = (
        Settlement.objects.filter(
            shop_id=shop_id, invoice__in=invoices, status=SettlementStatus.ACTIVE
        )
        .order_by("id")
        .values_list("invoice_id", "mode", "pk", "amount")
    )
    for invoice_id, mode, pk, amount in settled:
        total, _ = cells[invoice_id].get(mode, (0, 0))
        cells[invoice_id][mode] = (total + amount, pk)
    rows = [
        WeekRow(
            day=invoice.issued_on,
            customer_id=invoice.order.customer_id,
            customer_name=invoice.buyer_name,
            total=invoice.total,
            invoice=invoice,
            cells=cells.get(invoice.pk, {}),
        )
        for invoice in invoices
    ]
    credits = (
        Credit.objects.filter(
            shop_id=shop_id,
            kind__in=[CreditKind.PAYMENT, CreditKind.TOP_UP],
            status=CreditStatus.ACTIVE,
            received_on__gte=monday,
            received_on__lte=sunday,
            settlement__isnull=True,
        )
        .select_related("account__customer")
        .order_by("received_on", "id")
    )
    rows.extend(
        WeekRow(
            day=credit.received_on,
            customer_id=credit.account.customer_id,
            customer_name=credit.account.customer.display_name,
            total=credit.amount,
            credit=credit,
            cells={credit.mode: (credit.amount, 0)},
        )
        for credit in credits
    )
    rows.sort(key=lambda row: (row.day, 0 if row.invoice else 1))
    return Week(monday=monday, modes=modes, rows=rows)


def online_provider_for(shop_id: int) -> PaymentProvider | None:
    """The shop's online payment provider, or None when it takes no online payment."""
    code = (
        OnlinePaymentSettings.objects.filter(shop_id=shop_id)
        .values_list("provider", flat=True)
        .first()
    )
    return get_provider(code) if code else None


def live_checkout(*, shop_id: int, reference: str) -> Checkout | None:
    """The pending or approved checkout for `reference`, if any (there is at most one)."""
    return (
        Checkout.objects.filter(shop_id=shop_id, reference=reference)
        .filter(status__in=[CheckoutStatus.PENDING, CheckoutStatus.APPROVED])
        .first()
    )
