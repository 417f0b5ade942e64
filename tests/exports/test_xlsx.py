"""Every export read back with openpyxl: values, types and totals checked against the ledger."""

import datetime as dt
import io

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from ardoise.exports.payments import payments_received, write_payments
from ardoise.exports.sales import write_sales_by_mode
from ardoise.exports.xlsx import open_workbook
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Allocation, Credit
from ardoise.payments import services as payments
from tests.factories import client_for, key, make_account, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice

pytestmark = pytest.mark.django_db
LABELS = {
    "cash": "Cash",
    "cheque": "Cheque",
    "card": "Card",
    "transfer": "Transfer",
    "account": "Customer account",
}


def _read(write, language: str = "en") -> object:
    """Write a workbook in `language` (English by default, like LABELS) and read it back."""
    buffer = io.BytesIO()
    workbook = open_workbook(buffer)
    with translation.override(language):
        write(workbook)
    workbook.close()
    buffer.seek(0)
    return load_workbook(buffer)


@pytest.fixture
def sales():
    shop = make_shop(auto_allocate=False)
    alice = make_account(shop, name="Alice Dupont")
    bob = make_account(shop, name="Bob Martin")
    ledger.record_top_up(
        account=bob, amount=30_00, mode="transfer", idempotency_key=key(), actor=None
    )
    first = make_invoice(alice, line("Tomates", "2.5", "4.20", unit="kg"))  # 10.50
    second = make_invoice(alice, line("Panier", "1", "25.00"))
    third = make_invoice(bob, line("Vin", "2", "9.90", "20"))  # 19.80
    payments.settle_invoice(
        invoice=first, mode="cash", amount=20_00, actor=None, idempotency_key=key()
    )
    payments.settle_invoice(
        invoice=second, mode="cheque", amount=10_00, actor=None, idempotency_key=key()
    )
    payments.settle_invoice(
        invoice=third, mode="account", amount=19_80, actor=None, idempotency_key=key()
    )
    ledger.issue_credit_note(
        charge=second.charge, amount=5_00, reason="Abîmé", idempotency_key=key(), actor=None
    )
    return shop, [first, second, third]


def test_payments_export_has_typed_rows_and_the_ledger_total(sales) -> None:
    shop, invoices = sales
    credits = payments_received(shop.pk)
    book = _read(lambda wb: write_payments(wb, credits, labels=LABELS))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    today = timezone.localdate()
    assert rows[0] == ("Received on", "Customer", "Invoice", "Payment mode", "Reference", "Amount")
    assert rows[1:] == [
        (dt.datetime.combine(today, dt.time()), "Bob Martin", None, "Transfer", None, 30.0),
        (
            dt.datetime.combine(today, dt.time()),
            "Alice Dupont",
            invoices[0].number,
            "Cash",
            invoices[0].number,
            20.0,
        ),
        (
            dt.datetime.combine(today, dt.time()),
            "Alice Dupont",
            invoices[1].number,
            "Cheque",
            invoices[1].number,
            10.0,
        ),
        ("Total", None, None, None, None, 60.0),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet["F2"].number_format.startswith("#,##0.00")
    assert sheet.column_dimensions["B"].width > 30
    ledger_total = credits.aggregate(total=Sum("amount"))["total"]
    assert round(rows[-1][5] * 100) == ledger_total == 60_00


def test_sales_by_mode_has_totals_and_detail_matching_the_allocations(sales) -> None:
    shop, invoices = sales
    today = timezone.localdate()
    book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS)
    )
    totals, detail = book.worksheets
    assert [ws.title for ws in book.worksheets] == ["Totals by mode", "Detail"]
    summary = {row[0]: row[1] for row in totals.iter_rows(min_row=2, values_only=True)}
    # Over-payments are not sales: the cash column has what settled invoice 1 (10.50).
    assert summary == {
        "Cash": 10.5,
        "Cheque": 10.0,
        "Card": 0,
        "Transfer": 0,
        "Deducted from the account": 19.8,
        "Credit notes": 5.0,
        "Not settled": 10.0,
        "Total invoiced": 55.3,
    }
    allocated = {
        (row["credit__kind"], row["credit__mode"]): row["total"]
        for row in Allocation.objects.filter(charge__shop=shop)
        .values("credit__kind", "credit__mode")
        .annotate(total=Sum("amount"))
    }
    assert allocated == {
        ("payment", "cash"): 10_50,
        ("payment", "cheque"): 10_00,
        ("top_up", "transfer"): 19_80,
        ("credit_note", "account"): 5_00,
    }
    header = [cell.value for cell in detail[1]]
    assert header == [
        "Date",
        "Invoice",
        "Customer",
        "Total",
        "Cash",
        "Cheque",
        "Card",
        "Transfer",
        "Deducted from the account",
        "Credit notes",
        "Not settled",
    ]
    rows = list(detail.iter_rows(min_row=2, values_only=True))
    assert rows[0][1:] == (
        invoices[0].number,
        "Alice Dupont",
        10.5,
        10.5,
        None,
        None,
        None,
        None,
        None,
        None,
    )
    assert rows[1][1:] == (
        invoices[1].number,
        "Alice Dupont",
        25.0,
        None,
        10.0,
        None,
        None,
        None,
        5.0,
        10.0,
    )
    assert rows[2][1:] == (
        invoices[2].number,
        "Bob Martin",
        19.8,
        None,
        None,
        None,
        None,
        19.8,
        None,
        None,
    )
    assert isinstance(rows[0][0], dt.datetime)
    assert rows[3][0] == "Total"
    assert rows[3][3] == 55.3
    for row in rows[:3]:  # every invoice's columns add up to its total
        assert round(sum(value or 0 for value in row[4:]) * 100) == round(row[3] * 100)


def test_exports_page_streams_the_workbook(sales) -> None:
    shop, _ = sales
    client = client_for(owner_of(shop))
    today = timezone.localdate().isoformat()
    response = client.get(reverse("exports:sales_by_mode"), {"start": today, "end": today})
    assert response.status_code == 200
    assert response.streaming is True
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert (summary["Online payment"], summary["Total invoiced"]) == (0, 55.3)


def test_reversed_payments_are_not_exported(sales) -> None:
    shop, _ = sales
    credit = Credit.objects.get(shop=shop, mode="cheque")
    ledger.reverse_entry(entry=credit.entry, reason="Bounced", idempotency_key=key(), actor=None)
    book = _read(lambda wb: write_payments(wb, payments_received(shop.pk), labels=LABELS))
    modes = [row[3] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert modes == ["Transfer", "Cash", None]


def test_workbooks_speak_french_with_valid_sheet_names(sales) -> None:
    shop, _ = sales
    today = timezone.localdate()

    payments_book = _read(
        lambda wb: write_payments(wb, payments_received(shop.pk), labels=LABELS),
        language="fr",
    )
    sales_book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS),
        language="fr",
    )

    assert [ws.title for ws in payments_book.worksheets] == ["Paiements reçus"]
    assert next(payments_book.worksheets[0].iter_rows(values_only=True)) == (
        "Reçu le",
        "Client",
        "Facture",
        "Mode de règlement",
        "Référence",
        "Montant",
    )
    assert [ws.title for ws in sales_book.worksheets] == ["Totaux par mode", "Détail"]
