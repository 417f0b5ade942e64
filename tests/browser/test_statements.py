"""End to end in Chromium: preview, send, open the emailed link, pay, see the charges paid."""

from typing import Any

import pytest
from django.urls import reverse

from ardoise.ledger.models import ChargeStatus
from ardoise.statements.models import SendStatus, StatementSend
from tests.factories import PASSWORD, make_shop, owner_of
from tests.statements.support import (
    account_with_charges,
    enable_online_payment,
    parts,
    payment_path,
    run_worker,
    smtp_server,
    squash,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_send_a_statement_and_pay_it_from_the_email(page: Any) -> None:
    shop = make_shop(name="Épicerie du Test")
    enable_online_payment(shop)
    account, charges = account_with_charges(shop, [45_00, 30_50], email_address="")
    owner = owner_of(shop)
    owner.language = "en"  # the back office follows the member's preference once signed in
    owner.save(update_fields=["language"])
    page.set_extra_http_headers({"Accept-Language": "en"})

    page.goto(reverse("staff:login"))
    page.fill("input[name=username]", owner.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.goto(reverse("staff:statement_preview", args=[account.customer_id]))
    assert page.locator(".statement-lines tbody tr").count() == 2
    assert page.get_by_test_id("amount-due").inner_text() == "€75.50"

    with smtp_server() as sink:
        page.fill("input[name=email]", "claire@example.com")
        page.click("button[value=send]")
        banner = page.locator(".banner").inner_text()
        assert "is queued for sending to claire@example.com" in banner
        assert sink.messages == []

        run_worker()

    page.reload()
    assert page.locator("[data-send-status]").get_attribute("data-send-status") == "sent"
    assert StatementSend.objects.get().status == SendStatus.SENT
    text, _, _ = parts(sink.messages[0])

    page.goto(payment_path(text))
    page.get_by_role("button", name="Pay €75.50").click()
    assert "TEST PAYMENT PROVIDER" in page.locator(".test-banner").inner_text()
    # The provider's page speaks the browser's language (French here): the same amount.
    assert squash(page.get_by_test_id("checkout-amount").inner_text()) in {"€75.50", "75,50 €"}
    page.get_by_role("button", name="Approve payment").click()

    assert page.locator("#payment").get_attribute("data-state") == "paid"
    assert "This statement is paid." in page.locator("#payment").inner_text()
    for charge in charges:
        charge.refresh_from_db()
        assert (charge.status, charge.open_amount) == (ChargeStatus.PAID, 0)
    statement = StatementSend.objects.get().statement
    page.goto(reverse("staff:statement_detail", args=[statement.pk]))
    assert page.locator("[data-payment-state]").get_attribute("data-payment-state") == "paid"
