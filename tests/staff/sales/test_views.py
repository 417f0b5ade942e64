import datetime as dt
import io
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from ardoise.invoicing.models import Invoice, Order, OrderStatus, Product
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, ChargeStatus, Credit
from ardoise.payments import services as payments
from ardoise.payments.models import PaymentMode, Settlement, SettlementStatus
from ardoise.shops.models import RoleKind, Shop
from tests.factories import key
from tests.support import database_snapshot, nothing_written

pytestmark = pytest.mark.django_db


def test_a_sale_keyed_and_delivered_issues_the_invoice(
    owner_client: Client, account: Account, tomatoes: Product
) -> None:
    response = owner_client.post(
        reverse("staff:sale_new"),
        {
            "customer": account.customer_id,
            "idempotency_key": key(),
            "line-0-item": "tomates",  # catalogue name, any case: price and VAT from the catalogue
            "line-0-quantity": "1,5",
            "line-1-item": "Sac de jute",  # a free line
            "line-1-quantity": "2",
            "line-1-price": "1.20",
            "line-1-vat": "20",
            "action": "deliver",
        },
    )
    order = Order.objects.get(account=account)
    invoice = Invoice.objects.get(order=order)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:charge_detail", args=[invoice.charge_id])
    assert [(line.description, line.amount) for line in order.lines.all()] == [
        ("Tomates", 6_30),
        ("Sac de jute", 2_40),
    ]
    account.refresh_from_db()
    assert (order.status, invoice.total, account.balance) == (OrderStatus.DELIVERED, 8_70, -8_70)


def test_an_order_is_saved_not_delivered(
    owner_client: Client, account: Account, tomatoes: Product
) -> None:
    response = owner_client.post(
        reverse("staff:sale_new"),
        {
            "customer": account.customer_id,
            "idempotency_key": key(),
            "line-0-item": "Tomates",
            "line-0-quantity": "2",
            "action": "order",
        },
    )
    order = Order.objects.get(account=account)
    account.refresh_from_db()
    assert response.status_code == 302
    assert (order.status, order.total, account.balance) == (OrderStatus.OPEN, 8_40, 0)


def test_an_incomplete_line_is_explained_and_nothing_is_saved(
    owner_client: Client, account: Account
) -> None:
    response = owner_client.post(
        reverse("staff:sale_new"),
        {
            "customer": account.customer_id,
            "idempotency_key": key(),
            "line-0-item": "Unknown thing",
            "line-0-quantity": "2",
            "action": "deliver",
        },
    )
    assert response.status_code == 400
    assert b"Some lines are not complete." in response.content
    assert Order.objects.count() == 0


def test_settling_with_an_over_payment_shows_the_credit_and_the_balance(
    owner_client: Client, account: Account, invoice: Invoice
) -> None:
    url = reverse("staff:charge_detail", args=[invoice.charge_id])
    response = owner_client.post(
        reverse("staff:charge_settle", args=[invoice.charge_id]),
        {"mode": "cash", "amount": "80,00", "expected_open": "6000", "idempotency_key": key()},
    )
    assert response.status_code == 302
    page = owner_client.get(url).content.decode()
    assert "€20.00 credited to the account" in page
    assert 'id="customer-balance" class="amount positive">€20.00<' in page


# A refusal inside a savepoint=False use case dooms the enclosing transaction: no test one here,
# as in a view.
@pytest.mark.django_db(transaction=True)
def test_a_refused_settlement_is_shown_next_to_the_amount_and_writes_nothing(
    owner_client: Client, shop: Shop, invoice: Invoice
) -> None:
    PaymentMode.objects.filter(shop=shop, code="cheque").update(is_accepted=False)
    before = database_snapshot()
    settle = reverse("staff:charge_settle", args=[invoice.charge_id])
    negative = owner_client.post(settle, {"mode": "cash", "amount": "-5", "idempotency_key": key()})
    refused_mode = owner_client.post(
        settle, {"mode": "cheque", "amount": "5", "idempotency_key": key()}
    )
    assert (negative.status_code, refused_mode.status_code) == (400, 400)
    assert b"The amount must be greater than zero." in negative.content
    assert b"Select a valid choice." in refused_mode.content
    assert database_snapshot() == before
    ledger.reverse_entry(
        entry=invoice.charge.entry, reason="Wrong", idempotency_key=key(), actor=None
    )
    before = database_snapshot()
    void = owner_client.post(
        settle, {"mode": "cash", "amount": "5", "expected_open": "6000", "idempotency_key": key()}
    )
    assert void.status_code == 400
    assert b"This invoice was reversed" in void.content
    assert database_snapshot() == before


def test_reversing_a_settlement_from_the_invoice(owner_client: Client, invoice: Invoice) -> None:
    settlement = payments.settle_invoice(
        invoice=invoice, mode="card", amount=60_00, actor=None, idempotency_key=key()
    )
    response = owner_client.post(
        reverse("staff:settlement_reverse", args=[settlement.pk]),
        {"reason": "Card refused", "idempotency_key": key()},
    )
    settlement.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert response.status_code == 302
    assert (settlement.status, invoice.charge.status) == (
        SettlementStatus.REVERSED,
        ChargeStatus.OPEN,
    )
    page = owner_client.get(reverse("staff:charge_detail", args=[invoice.charge_id])).content
    assert b"Card refused" in page


def test_tracking_off_hides_the_settlement_block(
    owner_client: Client, shop: Shop, invoice: Invoice
) -> None:
    url = reverse("staff:charge_detail", args=[invoice.charge_id])
    assert b'id="settlement"' in owner_client.get(url).content
    Shop.objects.filter(pk=shop.pk).update(payment_tracking_enabled=False)
    assert b'id="settlement"' not in owner_client.get(url).content


def test_refund_to_the_account_with_max(
    owner_client: Client, account: Account, invoice: Invoice
) -> None:
    url = reverse("staff:charge_refund", args=[invoice.charge_id])
    page = owner_client.post(url, {"max": "1", "mode": "account", "reason": ""})
    assert b'value="60.00"' in page.content
    response = owner_client.post(
        url, {"amount": "60.00", "mode": "account", "reason": "Returned", "idempotency_key": key()}
    )
    assert response.status_code == 302
    account.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (account.balance, invoice.charge.credited_amount) == (0, 60_00)


def test_refund_of_an_unpaid_sale_in_cash_must_send_the_unpaid_part_to_the_account(
    owner_client: Client, account: Account, invoice: Invoice
) -> None:
    payments.settle_invoice(
        invoice=invoice, mode="cash", amount=20_00, actor=None, idempotency_key=key()
    )
    url = reverse("staff:charge_refund", args=[invoice.charge_id])
    refused = owner_client.post(
        url,
        {
            "amount": "60.00",
            "mode": "cash",
            "to_account": "10.00",
            "reason": "Returned",
            "idempotency_key": key(),
        },
    )
    assert refused.status_code == 400
    assert (
        "€40.00 must go back to the customer&#x27;s account and at most €20.00 may be paid out"
        in refused.content.decode()
    )
    done = owner_client.post(
        url,
        {
            "amount": "60.00",
            "mode": "cash",
            "to_account": "40.00",
            "reason": "Returned",
            "idempotency_key": key(),
        },
    )
    assert done.status_code == 302
    note = Credit.objects.get(against_charge=invoice.charge)
    assert (note.amount, note.payout_amount, note.payout_mode) == (40_00, 20_00, "cash")


def test_debit_note_has_a_sensible_page(owner_client: Client, account: Account) -> None:
    charge = ledger.post_debit_adjustment(
        account=account, amount=12_00, reason="Broken crate", idempotency_key=key(), actor=None
    )
    page = owner_client.get(reverse("staff:charge_detail", args=[charge.pk]))
    assert page.status_code == 200
    assert b"Broken crate" in page.content
    assert b'id="settlement"' not in page.content
    assert owner_client.get(reverse("staff:receipt", args=[charge.pk])).status_code == 200


def test_the_pdf_invoice_has_the_number_the_lines_and_the_total(
    owner_client: Client, invoice: Invoice
) -> None:
    response = owner_client.get(reverse("staff:invoice_pdf", args=[invoice.charge_id]))
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.number in text
    assert "Panier de légumes" in text
    assert "€60.00" in text
    assert "SIRET 81234567800012" in text


def test_receipts_show_the_balance_and_the_gift_receipt_neither_prices_nor_balance(
    owner_client: Client, invoice: Invoice
) -> None:
    payments.settle_invoice(
        invoice=invoice, mode="cash", amount=70_00, actor=None, idempotency_key=key()
    )
    url = reverse("staff:receipt", args=[invoice.charge_id])
    receipt = owner_client.get(url).content.decode()
    gift = owner_client.get(url + "?gift=1").content.decode()
    assert "<strong data-balance>€10.00</strong>" in receipt
    assert "€70.00" in receipt
    assert "€60.00" in receipt
    assert "data-balance" not in gift
    assert "€10.00" not in gift
    assert "balance" not in gift
    assert "€60.00" not in gift
    assert "Panier de légumes" in gift


def test_invoice_settings_choose_the_modes(owner_client: Client, shop: Shop) -> None:
    response = owner_client.post(
        reverse("staff:invoice_settings"),
        {
            "payment_tracking_enabled": "on",
            "accepted": ["cash", "transfer", "account"],
            "default_payment_mode": "transfer",
            "payment_terms_days": "15",
            "new_mode": "Titres-restaurant",
            "legal_name": "EARL",
            "siret": "81234567800012",
            "vat_number": "",
            "address": "Charly",
        },
    )
    assert response.status_code == 302
    shop.refresh_from_db()
    accepted = list(
        PaymentMode.objects.filter(shop=shop, is_accepted=True).values_list("code", flat=True)
    )
    assert accepted == ["cash", "transfer", "account", "titres_restaurant"]
    assert (shop.default_payment_mode, shop.payment_terms_days, shop.legal_name) == (
        "transfer",
        15,
        "EARL",
    )
    page = owner_client.get(reverse("staff:payments_week")).content.decode()
    assert 'data-mode="cheque"' not in page
    assert 'data-mode="titres_restaurant"' in page


def row_url(invoice: Invoice) -> str:
    return (
        reverse("staff:payments_row", args=[invoice.pk]) + f"?week={invoice.issued_on.isoformat()}"
    )


def cash_cell(invoice: Invoice, typed: str) -> dict[str, str]:
    """The fields HTMX posts when the cash cell of an invoice's row changes."""
    return {
        f"key-{invoice.pk}": key(),
        f"version-{invoice.pk}-cash": "0",
        f"amount-{invoice.pk}-cash": typed,
        "cell": "cash",
    }


def test_payments_row_typed_twice_posts_once(owner_client: Client, invoice: Invoice) -> None:
    row = cash_cell(invoice, "25,00")
    first = owner_client.post(row_url(invoice), row, HTTP_HX_REQUEST="true")
    second = owner_client.post(row_url(invoice), row, HTTP_HX_REQUEST="true")
    assert (first.status_code, second.status_code) == (200, 200)
    assert Settlement.objects.filter(invoice=invoice).count() == 1
    assert b'data-total="cash">\xe2\x82\xac25.00<' in second.content
    assert b"<html" not in second.content  # the changed parts only


def test_payments_row_answers_only_what_changed_out_of_band(
    owner_client: Client, invoice: Invoice
) -> None:
    row = cash_cell(invoice, "25,00")
    page = owner_client.post(row_url(invoice), row, HTTP_HX_REQUEST="true").content.decode()
    settlement = Settlement.objects.get(invoice=invoice)
    assert (
        f'id="version-{invoice.pk}-cash" name="version-{invoice.pk}-cash" '
        f'value="{settlement.pk}" hx-swap-oob="true"' in page
    )
    assert f'id="open-{invoice.pk}"' in page
    assert 'id="week-totals" hx-swap-oob="true"' in page
    assert f'id="amount-{invoice.pk}-cash"' not in page  # the typed cells are left alone


def test_only_the_cell_that_changed_is_saved(owner_client: Client, invoice: Invoice) -> None:
    # HTMX posts the whole form: a cheque amount still being typed in the row is not saved.
    row = {**cash_cell(invoice, "25,00"), f"amount-{invoice.pk}-cheque": "4"}
    owner_client.post(row_url(invoice), row, HTTP_HX_REQUEST="true")
    assert list(Settlement.objects.filter(invoice=invoice).values_list("mode", "amount")) == [
        ("cash", 25_00)
    ]


def test_a_refused_cell_says_why_next_to_it(owner_client: Client, invoice: Invoice) -> None:
    row = cash_cell(invoice, "douze")
    page = owner_client.post(row_url(invoice), row, HTTP_HX_REQUEST="true").content.decode()
    assert (
        f'id="error-{invoice.pk}-cash" hx-swap-oob="true">Enter an amount such as 12.50.</div>'
        in page
    )
    week = owner_client.post(
        reverse("staff:payments_week"),
        {"row": [invoice.pk], "week": invoice.issued_on.isoformat(), **row},
    )
    assert week.status_code == 400
    assert (
        f'id="error-{invoice.pk}-cash">Enter an amount such as 12.50.</div>'
        in week.content.decode()
    )
    assert not Settlement.objects.filter(invoice=invoice).exists()


def test_an_empty_week_points_to_the_last_week_with_an_invoice(
    owner_client: Client, invoice: Invoice
) -> None:
    later = invoice.issued_on + dt.timedelta(weeks=3)
    page = owner_client.get(reverse("staff:payments_week"), {"week": later.isoformat()})
    assert (
        f'href="?week={invoice.issued_on.isoformat()}" id="earlier-week"' in page.content.decode()
    )
    same_week = owner_client.get(
        reverse("staff:payments_week"), {"week": invoice.issued_on.isoformat()}
    )
    assert 'id="earlier-week"' not in same_week.content.decode()


def test_payments_export_downloads_the_selected_payments(
    owner_client: Client, invoice: Invoice
) -> None:
    payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )
    response = owner_client.post(
        reverse("exports:payments"), {"invoice": [invoice.pk], "week": "2026-W01"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="payments-2026-W01.xlsx"'
    assert b"".join(response.streaming_content)[:2] == b"PK"


def test_payments_export_ignores_another_shops_rows(other_client: Client, invoice: Invoice) -> None:
    payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )
    response = other_client.post(reverse("exports:payments"), {"invoice": [invoice.pk]})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.worksheets[0].iter_rows(min_row=2, values_only=True))
    assert rows == [("Total received", None, None, None, None, None, 0, 0)]


def test_a_role_without_deliver_posting_deliver_gets_403_and_no_order_is_created(
    client_as: Callable[[str], Client], account: Account, tomatoes: Product
) -> None:
    associate = client_as(RoleKind.ASSOCIATE)  # may take orders, may not deliver
    data = {
        "customer": account.customer_id,
        "idempotency_key": key(),
        "line-0-item": "Tomates",
        "line-0-quantity": "2",
        "action": "deliver",
    }

    with nothing_written():
        response = associate.post(reverse("staff:sale_new"), data)

    assert response.status_code == 403
    assert Order.objects.count() == 0
