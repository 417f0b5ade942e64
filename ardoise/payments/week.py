"""The weekly Payments page, read from `payments.selectors.money_received`: a row per invoice
issued in the week or paid in it (its cells hold this week's money by mode), a row per other
movement of the week (a payment on account, a top-up, a refund paid out), totals by mode."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from ardoise.core.dates import clamp_day
from ardoise.invoicing.models import Invoice
from ardoise.payments.selectors import ACCOUNT, MoneyReceived, Receipt, money_received


def week_of(day: dt.date) -> dt.date:
    """The Monday of `day`'s week."""
    return day - dt.timedelta(days=day.weekday())


def parse_week(value: str, default: dt.date) -> dt.date:
    """`2026-W03` (what <input type=week> sends) or a date, to that week's Monday; a week outside
    the days Ardoise reads (`core/dates.py`, `week=9999-W52`) is clamped to them."""
    try:
        if "W" in value:
            year, week = value.split("-W")
            day = dt.date.fromisocalendar(int(year), int(week), 1)
        else:
            day = dt.date.fromisoformat(value)
    except (ValueError, OverflowError):
        return week_of(default)
    return week_of(clamp_day(day, default))


def latest_invoice_day_before(shop_id: int, day: dt.date) -> dt.date | None:
    """The last day before `day` an invoice was issued: where an empty week points to."""
    return (
        Invoice.objects.for_shop(shop_id)
        .filter(issued_on__lt=day)
        .order_by("-issued_on")
        .values_list("issued_on", flat=True)
        .first()
    )


@dataclass
class WeekRow:
    """A row of the Payments page: an invoice (its cells are typed in place) or a movement of
    its own (a payment on account, a top-up, a refund paid out)."""

    day: dt.date
    customer_id: int
    customer_name: str
    total: int
    invoice: Invoice | None = None
    receipt: Receipt | None = None
    cells: dict[str, tuple[int, int]] = field(default_factory=dict)  # mode: (amount, version)
    # Applied from the prepaid balance by the ledger itself, in the "account" column beside the
    # typed cell (which holds only what a settlement recorded, so that saving the page again
    # deducts nothing more).
    deducted_automatically: int = 0

    @property
    def is_invoice(self) -> bool:
        return self.invoice is not None

    @property
    def is_earlier_invoice(self) -> bool:
        """An invoice of an earlier week, here because money for it came in this week."""
        return self.invoice is not None and self.invoice.issued_on < self.day

    def amount(self, mode: str) -> int:
        """What came in by `mode` (the automatic deductions with "account")."""
        automatic = self.deducted_automatically if mode == ACCOUNT else 0
        return self.cells.get(mode, (0, 0))[0] + automatic


@dataclass
class Week:
    monday: dt.date
    modes: list[str]
    rows: list[WeekRow]
    received: MoneyReceived

    @property
    def sunday(self) -> dt.date:
        return self.monday + dt.timedelta(days=6)

    @property
    def iso(self) -> str:
        year, week, _weekday = self.monday.isocalendar()
        return f"{year}-W{week:02d}"

    @property
    def previous(self) -> dt.date:
        return self.monday - dt.timedelta(days=7)

    @property
    def next(self) -> dt.date:
        return self.monday + dt.timedelta(days=7)

    @property
    def totals(self) -> dict[str, int]:
        """By mode, refunds subtracted; "account" holds the deductions."""
        by_mode = self.received.by_mode
        return {mode: by_mode.get(mode, 0) for mode in self.modes}

    @property
    def grand_total(self) -> int:
        """The money that came in this week (deductions from the account left out)."""
        return self.received.total

    @property
    def deducted(self) -> int:
        return self.received.deducted


def payments_week(shop_id: int, monday: dt.date, modes: list[str]) -> Week:
    """The Payments page: a row per invoice issued in the week or that money received in the
    week settled (its cells hold what came in this week, by mode), and a row per other movement
    of the week. `modes` are the columns asked for; any other mode money came in by is added.
    Four queries, five when something was allocated in the week."""
    sunday = monday + dt.timedelta(days=6)
    received = money_received(shop_id, monday, sunday)
    on_invoices = [receipt for receipt in received.receipts if receipt.on_invoice_row]
    invoices = list(
        Invoice.objects.for_shop(shop_id)
        .filter(
            Q(issued_on__gte=monday, issued_on__lte=sunday)
            | Q(pk__in={receipt.invoice_id for receipt in on_invoices})
        )
        .select_related("charge", "order")
        .order_by("issued_on", "sequence")
    )
    cells: dict[int, dict[str, tuple[int, int]]] = defaultdict(dict)
    automatic: dict[int, int] = defaultdict(int)
    first_day: dict[int, dt.date] = {}
    for receipt in on_invoices:
        assert receipt.invoice_id is not None
        first_day.setdefault(receipt.invoice_id, receipt.day)
        if receipt.settlement_id is None:  # an automatic deduction: no cell typed it
            automatic[receipt.invoice_id] += receipt.amount
            continue
        total, version = cells[receipt.invoice_id].get(receipt.mode, (0, 0))
        cells[receipt.invoice_id][receipt.mode] = (
            total + receipt.amount,
            max(version, receipt.settlement_id),
        )
    rows = [
        WeekRow(
            day=invoice.issued_on if invoice.issued_on >= monday else first_day[invoice.pk],
            customer_id=invoice.order.customer_id,
            customer_name=invoice.buyer_name,
            total=invoice.total,
            invoice=invoice,
            cells=cells.get(invoice.pk, {}),
            deducted_automatically=automatic.get(invoice.pk, 0),
        )
        for invoice in invoices
    ]
    rows.extend(
        WeekRow(
            day=receipt.day,
            customer_id=receipt.customer_id,
            customer_name=receipt.customer_name,
            total=receipt.amount,
            receipt=receipt,
            cells={receipt.mode: (receipt.amount, 0)},
        )
        for receipt in received.receipts
        if not receipt.on_invoice_row
    )
    rows.sort(key=lambda row: (row.day, 0 if row.invoice else 1))
    columns = [*modes, *(mode for mode in received.modes if mode not in modes)]
    return Week(monday=monday, modes=columns, rows=rows, received=received)
