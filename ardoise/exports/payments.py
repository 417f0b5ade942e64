"""Payments received, as XLSX: a row per payment, read in chunks, written in constant memory."""

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from xlsxwriter.workbook import Workbook

from ardoise.exports.xlsx import Column, Kind, SheetWriter, money_number
from ardoise.ledger.models import Credit, CreditKind, CreditStatus
from ardoise.payments.models import SettlementStatus

CHUNK_SIZE = 5000
FIELDS = (
    "received_on",
    "account__customer__name",
    "settlement__invoice__number",
    "mode",
    "reference",
    "amount",
)


def payments_received(shop_id: int) -> QuerySet[Credit]:
    """Money received from customers (payments and top-ups) that was not reversed."""
    return Credit.objects.filter(
        shop_id=shop_id,
        kind__in=[CreditKind.PAYMENT, CreditKind.TOP_UP],
        status=CreditStatus.ACTIVE,
    )


def selected_payments(
    shop_id: int, *, invoice_ids: list[int], credit_ids: list[int]
) -> QuerySet[Credit]:
    """What the Payments page's checked rows received: the active settlements of the checked
    invoices, and the checked payments."""
    return payments_received(shop_id).filter(
        Q(pk__in=credit_ids)
        | Q(
            settlement__invoice_id__in=invoice_ids,
            settlement__status=SettlementStatus.ACTIVE,
        )
    )


def _columns() -> list[Column]:
    return [
        Column(_("Received on"), Kind.DATE, 12),
        Column(_("Customer"), Kind.TEXT, 32),
        Column(_("Invoice"), Kind.TEXT, 14),
        Column(_("Payment mode"), Kind.TEXT, 18),
        Column(_("Reference"), Kind.TEXT, 26),
        Column(_("Amount"), Kind.MONEY, 14),
    ]


def write_payments(
    workbook: Workbook,
    credits: QuerySet[Credit],
    *,
    labels: dict[str, str],
    currency: str = "EUR",
    chunk_size: int = CHUNK_SIZE,
) -> int:
    """One sheet, a row per payment (oldest first) and a total; returns the number of rows."""
    sheet = SheetWriter(workbook, _("Payments received"), _columns(), currency=currency)
    # The hot loop of large exports: typed writes called directly, one row per payment.
    date_format, money = sheet.formats[Kind.DATE], sheet.formats[Kind.MONEY]
    write_date, write_text = sheet.sheet.write_datetime, sheet.sheet.write_string
    write_number = sheet.sheet.write_number
    query = credits.order_by("received_on", "id").values_list(*FIELDS)
    total, row = 0, 0
    for row, (received_on, name, number, mode, reference, amount) in enumerate(
        query.iterator(chunk_size=chunk_size), start=1
    ):
        write_date(row, 0, received_on, date_format)
        write_text(row, 1, name)
        if number:
            write_text(row, 2, number)
        write_text(row, 3, labels.get(mode, mode))
        if reference:
            write_text(row, 4, reference)
        write_number(row, 5, money_number(amount, currency), money)
        total += amount
    sheet.row = row + 1
    sheet.total_row(_("Total"), {5: total})
    return row
