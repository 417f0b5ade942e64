"""End to end in Chromium: key a sale, deliver, settle with an over-payment; the Payments page;
the XLSX download; a refund to the account; the Refund button hidden without the permission.

The browser and the members are French (the default language), so pages read in French."""

import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice
from ardoise.payments.models import Settlement
from ardoise.shops.models import RoleKind, User
from tests.factories import PASSWORD, make_account, make_member, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, user: User) -> None:
    page.goto("/login/")
    page.fill("input[name=username]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def shop_account():
    shop = make_shop(auto_allocate=False)
    invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.2000"),
        vat_rate=Decimal("5.5"),
    )
    return shop, make_account(shop, name="Camille Martin")


def test_key_a_sale_deliver_it_and_settle_an_over_payment_in_cash(page, shop_account) -> None:
    shop, account = shop_account
    sign_in(page, owner_of(shop))
    page.goto(f"/sales/new/?customer={account.customer_id}")
    page.fill("input[name=line-0-item]", "Tomates")
    page.keyboard.press("Enter")  # to the quantity
    page.keyboard.type("2,5")
    page.keyboard.press("Enter")  # to the next line, without submitting
    page.keyboard.type("Sac de jute")
    page.keyboard.press("Enter")
    page.keyboard.type("1")
    page.fill("input[name=line-1-price]", "1.50")
    page.fill("input[name=line-1-vat]", "20")
    page.click("button[value=deliver]")
    page.wait_for_url(re.compile(r"/sales/charges/\d+/$"))
    invoice = Invoice.objects.get(order__account=account)
    assert invoice.total == 12_00  # 2.5 kg x 4.20 + 1.50
    assert page.locator("h1").inner_text() == f"Facture {invoice.number}"
    page.check("input[name=mode][value=cash]")
    page.fill("input[name=amount]", "20")
    page.click("text=Enregistrer le règlement")
    page.wait_for_selector(".overpayment")
    assert (
        page.locator(".overpayment").inner_text().replace("\u202f", " ").replace("\xa0", " ")
        == "8,00 € crédités sur le compte"
    )
    assert page.locator("#customer-balance").inner_text().replace("\xa0", " ") == "8,00 €"
    assert page.locator("#charge-status").inner_text() == "Réglée"
    receipt = page.context.new_page()
    receipt.goto(f"/sales/charges/{invoice.charge_id}/receipt/")
    assert receipt.locator("[data-balance]").inner_text().replace("\xa0", " ") == "8,00 €"
    customer_page = page.context.new_page()
    customer_page.goto(f"/customers/{account.customer_id}/")
    assert customer_page.locator("#balance").get_attribute("data-minor") == "800"
    assert customer_page.locator("#balance").inner_text().replace("\xa0", " ") == "8,00 €"
    assert customer_page.locator("#deposit").get_attribute("data-minor") == "800"
    account.refresh_from_db()
    assert account.balance == 8_00


def test_three_payments_typed_on_the_payments_page_then_exported(page, shop_account) -> None:
    shop, account = shop_account
    invoices = [
        make_invoice(account, line("Panier", "1", price)) for price in ("10.00", "20.00", "30.00")
    ]
    sign_in(page, owner_of(shop))
    page.goto(f"/sales/payments/?week={invoices[0].issued_on.isoformat()}")
    typed = [
        (invoices[0], "cash", "10"),
        (invoices[1], "cheque", "20"),
        (invoices[2], "cash", "35"),
    ]
    for invoice, mode, amount in typed:  # typed in a row, without waiting for the saves
        page.fill(f"#amount-{invoice.pk}-{mode}", amount)
        page.keyboard.press("Tab")  # "change": HTMX saves the row, one request after the other
    page.keyboard.type("4")  # typing on in the next cell while the saves are in flight
    page.wait_for_function("document.querySelector('#grand-total').innerText.startsWith('65,00')")
    for invoice, mode, amount in typed:  # nothing the cashier typed was redrawn away
        assert page.input_value(f"#amount-{invoice.pk}-{mode}") == amount
    assert page.evaluate("document.activeElement.value") == "4"  # and not saved yet
    page.keyboard.press("Backspace")  # the cashier thinks better of it: nothing to save
    totals = {
        mode: page.locator(f"[data-total={mode}]").inner_text().replace("\xa0", " ")
        for mode in ("cash", "cheque")
    }
    assert totals == {"cash": "45,00 €", "cheque": "20,00 €"}
    assert page.locator("#grand-total").inner_text().replace("\xa0", " ") == "65,00 €"
    assert Settlement.objects.filter(invoice__in=invoices).count() == 3
    account.refresh_from_db()
    assert account.balance == 5_00
    page.check("#select-all")
    with page.expect_download() as download_info:
        page.click("#export")
    content = download_info.value.path().read_bytes()
    rows = list(
        load_workbook(io.BytesIO(content)).worksheets[0].iter_rows(min_row=2, values_only=True)
    )
    assert [row[6] for row in rows] == [10.0, 20.0, 35.0, 65.0]


def test_refund_a_sale_to_the_account(page, shop_account) -> None:
    shop, account = shop_account
    invoice = make_invoice(account, line("Panier", "1", "30.00"))
    sign_in(page, owner_of(shop))
    page.goto(f"/sales/charges/{invoice.charge_id}/")
    page.click("#refund-button")
    page.check("input[name=lines]")  # the line's amount, written the French way
    assert page.input_value("input[name=amount]") == "30,00"
    page.fill("input[name=amount]", "")
    page.click("#max")
    assert page.input_value("input[name=amount]") == "30,00"
    page.select_option("select[name=mode]", "account")
    page.fill("input[name=reason]", "Returned")
    page.click("button.primary:text('Rembourser')")
    page.wait_for_url(re.compile(rf"/sales/charges/{invoice.charge_id}/$"))
    assert page.locator("#credit-notes").inner_text().count("Returned") == 1
    account.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (account.balance, invoice.charge.credited_amount) == (0, 30_00)


def test_a_member_without_refund_permission_sees_no_refund_button(page, shop_account) -> None:
    shop, account = shop_account
    invoice = make_invoice(account)
    sign_in(page, make_member(shop, RoleKind.ASSOCIATE))
    page.goto(f"/sales/charges/{invoice.charge_id}/")
    assert page.locator("h1").inner_text() == f"Facture {invoice.number}"
    assert page.locator("#refund-button").count() == 0
