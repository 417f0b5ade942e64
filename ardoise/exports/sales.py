"""Sales by payment mode over a date range, as XLSX: the money that came in, by mode.

Read from `payments.selectors.money_received`, the one reading of the Payments page and the
Account tab, so the three agree: money counts on the day it was received (a payment today on an
invoice of last month is in today's figures), a refund paid out is negative in its mode, and a
deduction from the prepaid balance is shown in its own line and column but left out of the total
received (that money was counted when it was paid in). A sheet of totals by mode, a sheet with a
row per movement.
"""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.translation import gettext as _
from xlsxwriter.workbook import Workbook

from ardoise.exports.xlsx import Column, Kind, SheetWriter
from ardoise.payments.selectors import (
    ACCOUNT,
    ReceiptKind,
    modes_received,
    receipts,
)


@dataclass(frozen=True)
class ModeTotals:
    by_mode: dict[str, int]  # money by mode, refunds subtracted; "account": deductions
    total: int  # the money received: every mode but "account"
    deducted: int


def mode_order(accepted: list[str], present: Iterable[str]) -> list[str]:
    """Accepted money modes first (in the shop's order), then any other money came in by."""
    known = [mode for mode in accepted if mode != ACCOUNT]
    extra = sorted(set(present) - set(known) - {ACCOUNT})
    return [*known, *extra]


def write_sales_by_mode(
    workbook: Workbook,
    *,
    shop_id: int,
    start: dt.date,
    end: dt.date,
    labels: dict[str, str],
    accepted: list[str] | None = None,
    currency: str = "EUR",
) -> ModeTotals:
    """`labels` name every mode; `accepted` (default: all of them) get a line and a column even
    when nothing came in by them. The movements are streamed into the detail sheet, the totals
    are added up on the way and written to the first sheet at the end."""
    modes = mode_order(
        list(labels) if accepted is None else accepted, modes_received(shop_id, start, end)
    )
    summary = SheetWriter(
        workbook,
        _("Totals by mode"),
        [Column(_("Payment mode"), Kind.TEXT, 30), Column(_("Amount"), Kind.MONEY, 16)],
        currency=currency,
    )
    columns = [
        Column(_("Received on"), Kind.DATE, 12),
        Column(_("Kind"), Kind.TEXT, 18),
        Column(_("Invoice"), Kind.TEXT, 14),
        Column(_("Customer"), Kind.TEXT, 32),
        *[Column(labels.get(mode, mode), Kind.MONEY, 14) for mode in modes],
        Column(_("Total received"), Kind.MONEY, 14),
        Column(_("Deducted from the account"), Kind.MONEY, 16),
    ]
    detail = SheetWriter(workbook, _("Detail"), columns, currency=currency)
    by_mode: dict[str, int] = defaultdict(int)
    kinds = {kind: str(label) for kind, label in ReceiptKind.LABELS.items()}
    for receipt in receipts(shop_id, start, end):
        by_mode[receipt.mode] += receipt.amount
        detail.append(
            [
                receipt.day,
                kinds[receipt.kind],
                receipt.invoice_number,
                receipt.customer_name,
                *[receipt.amount if receipt.mode == mode else None for mode in modes],
                receipt.amount if receipt.is_money else None,
                None if receipt.is_money else receipt.amount,
            ]
        )
    deducted = by_mode.get(ACCOUNT, 0)
    totals = ModeTotals(
        by_mode=dict(by_mode), total=sum(by_mode.values()) - deducted, deducted=deducted
    )
    detail.total_row(
        _("Total"),
        {4 + i: by_mode.get(mode, 0) for i, mode in enumerate(modes)}
        | {4 + len(modes): totals.total, 5 + len(modes): deducted},
    )
    summary.extend((labels.get(mode, mode), by_mode.get(mode, 0)) for mode in modes)
    summary.total_row(_("Total received"), {1: totals.total})
    summary.append((_("Deducted from the account (not counted)"), deducted))
    return totals
