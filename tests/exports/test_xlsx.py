"""Every export read back with openpyxl: values, types and totals checked against the ledger."""

import datetime as dt
import io

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone, translation
from openpyxl import load_workbook

from ardoise.exports.payments import write_payments
from ardoise.exports.sales import write_sales_by_mode
from ardoise.exports.xlsx import open_workbook
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Credit
from ardoise.payments import services as payments
from ardoise.payments.selectors import receipts
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


def _week(shop_id: int) -> list:
    today = timezone.localdate()
    return list(receipts(shop_id, today, today))


def test_payments_export_has_typed_rows_and_the_ledger_total(sales) -> None:
    shop, invoices = sales
    book = _read(lambda wb: write_payments(wb, _week(shop.pk), labels=LABELS))
    sheet = book.worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    today = dt.datetime.combine(timezone.localdate(), dt.time())
    assert rows[0] == (
        "Received on",
        "Kind",
        "Customer",
        "Invoice",
        "Payment mode",
        "Reference",
        "Amount received",
        "Deducted from the account",
    )
    assert rows[1:] == [
        (today, "Top-up", "Bob Martin", None, "Transfer", None, 30.0, None),
        (today, "Payment", "Alice Dupont", invoices[0].number, "Cash", None, 20.0, None),
        (today, "Payment", "Alice Dupont", invoices[1].number, "Cheque", None, 10.0, None),
        (
            today,
            "Deducted from the account",
            "Bob Martin",
            invoices[2].number,
            None,
            None,
            None,
            19.8,
        ),
        ("Total received", None, None, None, None, None, 60.0, 19.8),
    ]
    assert sheet.freeze_panes == "A2"
    assert sheet["A2"].number_format == "dd/mm/yyyy"
    assert sheet["G2"].number_format.startswith("#,##0.00")
    assert sheet.column_dimensions["C"].width > 30
    ledger_total = Credit.objects.filter(
        shop=shop, kind__in=["payment", "top_up"], status="active"
    ).aggregate(total=Sum("amount"))["total"]
    assert round(rows[-1][6] * 100) == ledger_total == 60_00


def test_a_refund_paid_out_is_a_negative_amount_in_its_mode_in_both_workbooks(sales) -> None:
    shop, invoices = sales
    ledger.issue_credit_note(
        charge=invoices[0].charge,
        amount=4_00,
        reason="Abîmé",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )
    today = timezone.localdate()

    payments_rows = list(
        _read(lambda wb: write_payments(wb, _week(shop.pk), labels=LABELS))
        .worksheets[0]
        .iter_rows(min_row=2, values_only=True)
    )
    sales_book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS)
    )

    refund = [row for row in payments_rows if row[1] == "Refund paid out"]
    assert [row[2:7] for row in refund] == [
        ("Alice Dupont", invoices[0].number, "Cash", None, -4.0)
    ]
    assert payments_rows[-1][6] == 56.0
    summary = {
        row[0]: row[1] for row in sales_book.worksheets[0].iter_rows(min_row=2, values_only=True)
    }
    assert (summary["Cash"], summary["Total received"]) == (16.0, 56.0)
    detail = list(sales_book.worksheets[1].iter_rows(min_row=2, values_only=True))
    assert [row[1:5] for row in detail if row[1] == "Refund paid out"] == [
        ("Refund paid out", invoices[0].number, "Alice Dupont", -4.0)
    ]


def test_sales_by_mode_counts_the_money_received_in_the_range(sales) -> None:
    shop, invoices = sales
    today = timezone.localdate()
    book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS)
    )
    totals, detail = book.worksheets
    assert [ws.title for ws in book.worksheets] == ["Totals by mode", "Detail"]
    summary = {row[0]: row[1] for row in totals.iter_rows(min_row=2, values_only=True)}
    # What was handed over counts, over-payment included (20.00 cash on a 10.50 invoice); the
    # deduction from Bob's top-up is shown but not counted again; a refund to the account
    # moved no money.
    assert summary == {
        "Cash": 20.0,
        "Cheque": 10.0,
        "Card": 0,
        "Transfer": 30.0,
        "Total received": 60.0,
        "Deducted from the account (not counted)": 19.8,
    }
    header = [cell.value for cell in detail[1]]
    assert header == [
        "Received on",
        "Kind",
        "Invoice",
        "Customer",
        "Cash",
        "Cheque",
        "Card",
        "Transfer",
        "Total received",
        "Deducted from the account",
    ]
    rows = list(detail.iter_rows(min_row=2, values_only=True))
    assert [row[1:] for row in rows[:-1]] == [
        ("Top-up", None, "Bob Martin", None, None, None, 30.0, 30.0, None),
        ("Payment", invoices[0].number, "Alice Dupont", 20.0, None, None, None, 20.0, None),
        ("Payment", invoices[1].number, "Alice Dupont", None, 10.0, None, None, 10.0, None),
        (
            "Deducted from the account",
            invoices[2].number,
            "Bob Martin",
            None,
            None,
            None,
            None,
            None,
            19.8,
        ),
    ]
    assert isinstance(rows[0][0], dt.datetime)
    assert rows[-1] == ("Total", None, None, None, 20.0, 10.0, 0, 30.0, 60.0, 19.8)


def test_sales_by_mode_counts_a_payment_on_the_day_it_was_received(sales) -> None:
    shop, _ = sales
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    book = _read(
        lambda wb: write_sales_by_mode(
            wb, shop_id=shop.pk, start=yesterday, end=yesterday, labels=LABELS
        )
    )
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert summary["Total received"] == 0


def test_exports_page_streams_the_workbook(sales) -> None:
    shop, _ = sales
    client = client_for(owner_of(shop))
    today = timezone.localdate().isoformat()
    response = client.get(reverse("exports:sales_by_mode"), {"start": today, "end": today})
    assert response.status_code == 200
    assert response.streaming is True
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert (summary["Online payment"], summary["Total received"]) == (0, 60.0)


def test_reversed_payments_are_not_exported(sales) -> None:
    shop, _ = sales
    credit = Credit.objects.get(shop=shop, mode="cheque")
    ledger.reverse_entry(entry=credit.entry, reason="Bounced", idempotency_key=key(), actor=None)
    book = _read(lambda wb: write_payments(wb, _week(shop.pk), labels=LABELS))
    modes = [row[4] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]
    assert modes == ["Transfer", "Cash", None, None]


def test_workbooks_speak_french_with_valid_sheet_names(sales) -> None:
    shop, _ = sales
    today = timezone.localdate()

    payments_book = _read(
        lambda wb: write_payments(wb, _week(shop.pk), labels=LABELS),
        language="fr",
    )
    sales_book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS),
        language="fr",
    )

    assert [ws.title for ws in payments_book.worksheets] == ["Paiements reçus"]
    assert next(payments_book.worksheets[0].iter_rows(values_only=True)) == (
        "Reçu le",
        "Type",
        "Client",
        "Facture",
        "Mode de règlement",
        "Référence",
        "Montant reçu",
        "Déduit du compte client",
    )
    assert [ws.title for ws in sales_book.worksheets] == ["Totaux par mode", "Détail"]


def test_money_by_a_mode_not_accepted_keeps_its_line_and_column_in_the_sales_export(
    sales,
) -> None:
    shop, invoices = sales
    ledger.record_payment(
        account=invoices[0].charge.account,
        amount=7_00,
        mode="online",
        idempotency_key=key(),
        actor=None,
    )
    today = timezone.localdate()
    labels = {**LABELS, "online": "Online payment"}
    book = _read(
        lambda wb: write_sales_by_mode(
            wb, shop_id=shop.pk, start=today, end=today, labels=labels, accepted=list(LABELS)
        )
    )
    summary = {row[0]: row[1] for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)}
    assert (summary["Online payment"], summary["Total received"]) == (7.0, 67.0)
    assert "Online payment" in [cell.value for cell in book.worksheets[1][1]]


def test_a_prepaid_balance_applied_automatically_is_a_deduction_in_both_workbooks() -> None:
    shop = make_shop(auto_allocate=True)
    camille = make_account(shop, name="Camille Roux")
    ledger.record_top_up(
        account=camille, amount=50_00, mode="cash", idempotency_key=key(), actor=None
    )
    invoice = make_invoice(camille, line("Panier", "1", "30.00"))  # paid from the balance
    today = timezone.localdate()

    payments_rows = list(
        _read(lambda wb: write_payments(wb, _week(shop.pk), labels=LABELS))
        .worksheets[0]
        .iter_rows(min_row=2, values_only=True)
    )
    sales_book = _read(
        lambda wb: write_sales_by_mode(wb, shop_id=shop.pk, start=today, end=today, labels=LABELS)
    )

    assert [row[1:] for row in payments_rows] == [
        ("Top-up", "Camille Roux", None, "Cash", None, 50.0, None),
        ("Deducted from the account", "Camille Roux", invoice.number, None, None, None, 30.0),
        (None, None, None, None, None, 50.0, 30.0),
    ]
    summary = {
        row[0]: row[1] for row in sales_book.worksheets[0].iter_rows(min_row=2, values_only=True)
    }
    assert summary["Cash"] == summary["Total received"] == 50.0
    assert summary["Deducted from the account (not counted)"] == 30.0
