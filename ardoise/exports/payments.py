"""Payments received, as XLSX: a row per movement of money on the day it came in (refunds paid
out negative), deductions from the account in a column of their own that the total leaves out.

The rows are those of the Payments page's checked rows, read from the same selector
(`payments.selectors.money_received`), so the workbook and the page agree to the cent."""

from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from xlsxwriter.workbook import Workbook

from ardoise.exports.xlsx import Column, Kind, SheetWriter, money_number
from ardoise.payments.selectors import Receipt, ReceiptKind


def selected_receipts(
    receipts: Iterable[Receipt], *, invoice_ids: Iterable[int], credit_ids: Iterable[int]
) -> Iterator[Receipt]:
    """What the Payments page's checked rows received: on a checked invoice's row, what came in
    for it (and what was deducted from the account for it); a checked movement of its own."""
    invoices, credits = set(invoice_ids), set(credit_ids)
    for receipt in receipts:
        if (
            receipt.invoice_id in invoices
            if receipt.on_invoice_row
            else receipt.credit_id in credits
        ):
            yield receipt


def _columns() -> list[Column]:
    return [
        Column(_("Received on"), Kind.DATE, 12),
        Column(_("Kind"), Kind.TEXT, 18),
        Column(_("Customer"), Kind.TEXT, 32),
        Column(_("Invoice"), Kind.TEXT, 14),
        Column(_("Payment mode"), Kind.TEXT, 18),
        Column(_("Reference"), Kind.TEXT, 26),
        Column(_("Amount received"), Kind.MONEY, 16),
        Column(_("Deducted from the account"), Kind.MONEY, 16),
    ]


def write_payments(
    workbook: Workbook,
    receipts: Iterable[Receipt],
    *,
    labels: dict[str, str],
    currency: str = "EUR",
) -> int:
    """One sheet, a row per movement (oldest first) and a total; returns the number of rows.
    `receipts` may be a stream (`payments.selectors.receipts`): rows are written as they come."""
    sheet = SheetWriter(workbook, _("Payments received"), _columns(), currency=currency)
    # The hot loop of large exports: typed writes called directly, one row per movement.
    date_format, money = sheet.formats[Kind.DATE], sheet.formats[Kind.MONEY]
    write_date, write_text = sheet.sheet.write_datetime, sheet.sheet.write_string
    write_number = sheet.sheet.write_number
    kinds = {kind: str(label) for kind, label in ReceiptKind.LABELS.items()}
    received = deducted = row = 0
    for row, receipt in enumerate(receipts, start=1):
        write_date(row, 0, receipt.day, date_format)
        write_text(row, 1, kinds[receipt.kind])
        write_text(row, 2, receipt.customer_name)
        if receipt.invoice_number:
            write_text(row, 3, receipt.invoice_number)
        if receipt.reference and receipt.reference != receipt.invoice_number:
            write_text(row, 5, receipt.reference)
        if receipt.is_money:
            write_text(row, 4, labels.get(receipt.mode, receipt.mode))
            write_number(row, 6, money_number(receipt.amount, currency), money)
            received += receipt.amount
        else:
            write_number(row, 7, money_number(receipt.amount, currency), money)
            deducted += receipt.amount
    sheet.row = row + 1
    sheet.total_row(_("Total received"), {6: received, 7: deducted})
    return row
