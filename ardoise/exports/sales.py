"""Sales by payment mode over a date range, as XLSX: a sheet of totals per mode, a sheet of detail.

What settled each invoice is read from the ledger's allocations ("lettrage"): a payment counts for
its mode (cash, cheque, card, transfer, the shop's own...), a prepaid credit (top-up, adjustment)
counts as "deducted from the account", a credit note as "credit note", and what is still open as
"not settled". So, for every invoice, the columns add up to its total. Reversed invoices are left
out. Invoices are read in chunks of ids, with their allocations for that chunk only.
"""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext as _
from xlsxwriter.workbook import Workbook

from ardoise.exports.xlsx import Column, Kind, SheetWriter
from ardoise.invoicing.models import Invoice
from ardoise.ledger.models import Allocation, Charge, ChargeStatus, CreditKind

CHUNK_SIZE = 2000
ACCOUNT = "account"
CREDIT_NOTE = "credit_note"
NOT_SETTLED = "not_settled"


def settled_by(kind: str, mode: str) -> str:
    if kind == CreditKind.PAYMENT:
        return mode
    if kind == CreditKind.CREDIT_NOTE:
        return CREDIT_NOTE
    return ACCOUNT


def invoices_in_range(shop_id: int, start: dt.date, end: dt.date) -> QuerySet[Invoice]:
    return (
        Invoice.objects.filter(shop_id=shop_id, issued_on__gte=start, issued_on__lte=end)
        .exclude(charge__status=ChargeStatus.VOID)
        .order_by("issued_on", "sequence")
    )


def _split(charge_ids: Any) -> dict[int, dict[str, int]]:
    """Amounts that settled each charge, by mode; `charge_ids` is a list or a subquery."""
    split: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    rows = (
        Allocation.objects.filter(charge_id__in=charge_ids)
        .values("charge_id", "credit__kind", "credit__mode")
        .annotate(total=Sum("amount"))
    )
    for row in rows:
        split[row["charge_id"]][settled_by(row["credit__kind"], row["credit__mode"])] += row[
            "total"
        ]
    return split


@dataclass(frozen=True)
class ModeTotals:
    by_mode: dict[str, int]
    invoices: int
    total: int


def totals_by_mode(shop_id: int, start: dt.date, end: dt.date) -> ModeTotals:
    invoices = invoices_in_range(shop_id, start, end)
    charges = Charge.objects.filter(pk__in=invoices.values("charge_id"))
    by_mode: dict[str, int] = defaultdict(int)
    for split in _split(charges.values("pk")).values():
        for mode, amount in split.items():
            by_mode[mode] += amount
    figures = charges.aggregate(open=Sum("open_amount", default=0), total=Sum("total", default=0))
    by_mode[NOT_SETTLED] = figures["open"]
    return ModeTotals(by_mode=dict(by_mode), invoices=invoices.count(), total=figures["total"])


def mode_order(labels: dict[str, str], by_mode: dict[str, int]) -> list[str]:
    """Accepted modes first (in the shop's order), then any other mode that appears."""
    known = [mode for mode in labels if mode not in {ACCOUNT, CREDIT_NOTE, NOT_SETTLED}]
    extra = sorted(set(by_mode) - set(known) - {ACCOUNT, CREDIT_NOTE, NOT_SETTLED})
    return [*known, *extra, ACCOUNT, CREDIT_NOTE, NOT_SETTLED]


def write_sales_by_mode(
    workbook: Workbook,
    *,
    shop_id: int,
    start: dt.date,
    end: dt.date,
    labels: dict[str, str],
    currency: str = "EUR",
) -> ModeTotals:
    labels = {
        **labels,
        ACCOUNT: _("Deducted from the account"),
        CREDIT_NOTE: _("Credit notes"),
        NOT_SETTLED: _("Not settled"),
    }
    totals = totals_by_mode(shop_id, start, end)
    modes = mode_order(labels, totals.by_mode)
    summary = SheetWriter(
        workbook,
        _("Totals by mode"),
        [Column(_("Payment mode"), Kind.TEXT, 30), Column(_("Amount"), Kind.MONEY, 16)],
        currency=currency,
    )
    summary.extend((labels.get(mode, mode), totals.by_mode.get(mode, 0)) for mode in modes)
    summary.total_row(_("Total invoiced"), {1: totals.total})

    columns = [
        Column(_("Date"), Kind.DATE, 12),
        Column(_("Invoice"), Kind.TEXT, 14),
        Column(_("Customer"), Kind.TEXT, 32),
        Column(_("Total"), Kind.MONEY, 14),
        *[Column(labels.get(mode, mode), Kind.MONEY, 14) for mode in modes],
    ]
    detail = SheetWriter(workbook, _("Detail"), columns, currency=currency)
    query = invoices_in_range(shop_id, start, end).values_list(
        "issued_on", "number", "buyer_name", "total", "charge_id", "charge__open_amount"
    )
    chunk: list[tuple] = []
    for row in query.iterator(chunk_size=CHUNK_SIZE):
        chunk.append(row)
        if len(chunk) == CHUNK_SIZE:
            _write_detail(detail, chunk, modes)
            chunk = []
    _write_detail(detail, chunk, modes)
    detail.total_row(
        _("Total"),
        {3: totals.total} | {4 + i: totals.by_mode.get(mode, 0) for i, mode in enumerate(modes)},
    )
    return totals


def _write_detail(sheet: SheetWriter, chunk: list[tuple], modes: list[str]) -> None:
    if not chunk:
        return
    split = _split([row[4] for row in chunk])
    for issued_on, number, buyer, total, charge_id, open_amount in chunk:
        amounts = {**split.get(charge_id, {}), NOT_SETTLED: open_amount}
        sheet.append(
            [issued_on, number, buyer, total, *[amounts.get(mode) or None for mode in modes]]
        )
