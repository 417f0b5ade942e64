"""One morning at the till, in real Chromium: sell on account, refuse a sale over the limit, take
a cash payment that settles the oldest invoice, refund one in cash, print the receipt, and find on
the Payments page that the week's cash is the cash that changed hands."""

import re
from decimal import Decimal
from typing import Any

import pytest

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import ChargeStatus
from tests.browser.test_invoicing import sign_in
from tests.factories import make_account, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _text(locator: Any) -> str:
    return str(locator.inner_text()).replace("\u202f", " ").replace("\xa0", " ")


def _sell(page: Any, quantity: str) -> None:
    page.goto("/sales/new/")
    page.fill("#id_customer_q", "camille")
    page.wait_for_selector("#customer-results li a")
    page.click("#customer-results li a")
    page.wait_for_selector("#customer-picker .picked")
    page.fill("input[name=line-0-item]", "Tomates")
    page.fill("input[name=line-0-quantity]", quantity)
    page.click("button[value=deliver]")
    page.wait_for_load_state()


def test_one_morning_at_the_till(page: Any) -> None:
    # The shop opens: automatic allocation as every shop has it, tomatoes at 4,20 € the kilo,
    # Camille with a 100,00 € limit who still owes last week's 30,00 € invoice.
    shop = make_shop()
    invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.2000"),
        vat_rate=Decimal("5.5"),
    )
    account = make_account(shop, name="Camille Martin", credit_limit=100_00)
    oldest = make_invoice(account, line("Panier", "1", "30.00"))
    owner = owner_of(shop)
    owner.language = "en"
    owner.save(update_fields=["language"])
    sign_in(page, owner)

    # 1. A sale on account: 5 kg of tomatoes, 21,00 €, delivered and invoiced.
    _sell(page, "5")
    assert re.search(r"/sales/charges/\d+/$", page.url)
    sale = Invoice.objects.exclude(pk=oldest.pk).get()
    assert sale.total == 21_00

    # 2. Over the limit: 20 kg (84,00 €) would make her owe 135,00 € with 49,00 € available.
    _sell(page, "20")
    body = _text(page.locator("body"))
    assert "135.00" in body
    assert "49.00" in body
    assert Invoice.objects.filter(shop=shop).count() == 2
    assert Order.objects.filter(shop=shop, total=84_00, invoice__isnull=False).count() == 0

    # 3. She pays 40,00 € in cash on her account: the oldest invoice is settled first.
    page.goto(f"/customers/{account.customer_id}/movements/payment/")
    page.select_option("select[name=mode]", "cash")
    page.fill("input[name=amount]", "40")
    page.click("form button[type=submit].primary")
    page.wait_for_url(re.compile(rf"/customers/{account.customer_id}/"))
    oldest.charge.refresh_from_db()
    sale.charge.refresh_from_db()
    assert (oldest.charge.status, oldest.charge.open_amount) == (ChargeStatus.PAID, 0)
    assert sale.charge.open_amount == 11_00

    # 4. One item of last week's basket was bad: 10,00 € back in cash (it was paid).
    page.goto(f"/sales/charges/{oldest.charge_id}/refund/")
    page.fill("input[name=amount]", "10")
    page.select_option("select[name=mode]", "cash")
    page.fill("input[name=reason]", "Bad lettuce")
    page.click("#refund-form button.primary")
    page.wait_for_url(re.compile(rf"/sales/charges/{oldest.charge_id}/$"))
    assert "€10.00 paid in cash" in _text(page.locator("body"))

    # 5. The receipt of her payment prints with its mode and amount.
    payment = account.credits.filter(kind="payment").get()
    page.goto(f"/sales/credits/{payment.pk}/receipt/")
    receipt = _text(page.locator("body"))
    assert "€40.00" in receipt
    assert "Cash" in receipt

    # 6. The Payments page: this week's cash is what changed hands, 40,00 € in, 10,00 € out.
    page.goto("/sales/payments/")
    assert _text(page.locator("#week-totals [data-total=cash]")) == "€30.00"
    assert _text(page.locator("#week-received")) == "€30.00"
    assert check_ledger(shop.pk).problems == []
