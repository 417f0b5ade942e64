"""End to end in Chromium, in French: a settled invoice offers no second payment, a cash refund of
an unpaid sale shows its split before it is confirmed, and a top-up keyed by mistake is reversed
from its page, which also prints its receipt. No page scrolls sideways at 390 px."""

import re

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Credit, CreditStatus
from tests.browser.test_invoicing import sign_in
from tests.factories import key, make_account, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _text(locator) -> str:  # type: ignore[no-untyped-def]
    return locator.inner_text().replace("\u202f", " ").replace("\xa0", " ")


def test_settle_once_refund_with_its_split_and_reverse_a_top_up(page) -> None:  # type: ignore[no-untyped-def]
    shop = make_shop()
    account = make_account(shop, name="Camille Martin")
    invoice = make_invoice(account, line("Tomates", "2", "15.00"))
    sign_in(page, owner_of(shop))
    page.set_viewport_size({"width": 390, "height": 800})

    page.goto(f"/sales/charges/{invoice.charge_id}/")
    page.check("input[name=mode][value=cash]")
    page.fill("input[name=amount]", "10")
    page.click("text=Enregistrer le règlement")
    page.wait_for_selector("#settle-form")
    assert page.input_value("input[name=amount]") == "20,00"  # only what is still owed
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    page.goto(f"/sales/charges/{invoice.charge_id}/refund/")
    page.fill("input[name=amount]", "30")
    page.select_option("select[name=mode]", "cash")
    page.fill("input[name=reason]", "Retour")
    page.click("#refund-form button.primary")
    assert "20,00 € doivent revenir sur le compte du client" in _text(page.locator("#refund-form"))
    assert page.input_value("input[name=to_account]") == "20,00"
    page.click("#refund-form button.primary")  # the split, confirmed
    page.wait_for_url(re.compile(rf"/sales/charges/{invoice.charge_id}/$"))
    assert "20,00 € reviennent sur le compte, 10,00 € remboursés en espèces" in _text(
        page.locator("body")
    )
    assert page.locator("#settle-form").count() == 0
    assert _text(page.locator("#charge-status")) == "Remboursée"

    top_up = ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    page.goto(f"/customers/{account.customer_id}/")
    page.click(f"a[href='/sales/credits/{top_up.pk}/']")
    with page.context.expect_page() as receipt_info:
        page.click("#print-receipt")
    receipt = receipt_info.value
    receipt.wait_for_load_state()
    assert _text(receipt.locator("[data-amount]")) == "50,00 €"
    page.fill("#reverse-reason", "Saisi deux fois")
    page.click("#reverse button")
    page.wait_for_url(re.compile(rf"/sales/credits/{top_up.pk}/$"))
    assert "Annulé : 50,00 € retirés du compte." in _text(page.locator("body"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert Credit.objects.get(pk=top_up.pk).status == CreditStatus.VOID
