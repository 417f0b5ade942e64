"""End to end in Chromium, for SumUp and for Stripe through their real SDKs and the LOCAL STAND-IN
(tests/payments/standins.py, not the providers): the owner connects the provider in Settings →
Online payment and tests the connection; the customer opens the statement link, pays on the
stand-in's hosted page, which posts the signed webhook and sends them back; the statement reads
paid, and one payment is recorded whatever arrived first."""

from typing import Any

import pytest
from django.test import override_settings
from django.urls import reverse

from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import ChargeStatus, Credit
from ardoise.payments.accounts import save_provider_account
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderAccount, ProviderEvent
from ardoise.payments.providers.registry import webhook_url
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from tests.factories import PASSWORD, key, make_shop, owner_of
from tests.payments.provider_support import STRIPE_SECRET, SUMUP_SECRET, standin_server
from tests.statements.support import account_with_charges, run_worker

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _connect(page: Any, provider: str, standin: Any) -> None:
    page.goto(reverse("staff:online_payment_settings"))
    card = page.locator(f"#provider-{provider}")
    if provider == "sumup":
        card.locator("input[name=sumup-api_key]").fill(standin.sumup_key)
        card.locator("input[name=sumup-merchant_code]").fill(standin.merchant_code)
        card.locator("input[name=sumup-webhook_secret]").fill(SUMUP_SECRET)
        card.get_by_role("button", name="Connect SumUp").click()
    else:
        card.locator("input[name=stripe-api_key]").fill(standin.stripe_key)
        card.locator("input[name=stripe-webhook_secret]").fill(STRIPE_SECRET)
        card.get_by_role("button", name="Connect Stripe").click()
    assert "credentials saved" in page.locator(".banner").first.inner_text()
    card = page.locator(f"#provider-{provider}")
    assert card.get_attribute("data-saved") == "yes"
    assert "In use" in card.locator("h2").inner_text()
    # Never shown again: the fields are empty, the page does not hold the key.
    assert card.locator(f"input[name={provider}-api_key]").input_value() == ""
    assert standin.sumup_key not in page.content()
    assert standin.stripe_key not in page.content()
    card.get_by_role("button", name="Test the connection").click()
    assert "the connection works" in page.locator(".banner").first.inner_text()


@pytest.mark.parametrize("provider", ["sumup", "stripe"])
def test_the_owner_connects_a_provider_and_a_customer_pays_a_statement_through_it(
    page: Any, live_server: Any, provider: str
) -> None:
    shop = make_shop(name="Épicerie du Test")
    owner = owner_of(shop)
    owner.language = "en"
    owner.save(update_fields=["language"])
    account, charges = account_with_charges(shop, [45_00, 30_50])
    page.set_extra_http_headers({"Accept-Language": "en"})

    with standin_server(SITE_URL=live_server.url, HTTP_TIMEOUT_SECONDS=10) as standin:
        page.goto(reverse("staff:login"))
        page.fill("input[name=username]", owner.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        _connect(page, provider, standin)
        provider_account = ProviderAccount.objects.get(shop=shop)
        secret = SUMUP_SECRET if provider == "sumup" else STRIPE_SECRET
        standin.webhooks[provider] = (webhook_url(provider_account), secret)

        statement = issue_statement(account=account, actor=None, idempotency_key=key())
        token = create_payment_link(statement=statement, days=30)
        page.goto(reverse("portal:statement", kwargs={"token": token}))
        page.get_by_role("button", name="Pay €75.50").click()

        # The stand-in's hosted page, on its own address.
        assert page.url.startswith(standin.base)
        assert "STAND-IN" in page.locator(".standin").inner_text()
        amount = "75.50 EUR"
        assert page.locator("#amount").inner_text() == amount
        page.get_by_role("button", name=f"Pay {amount}").click()

        # Back on the statement: read from the provider, paid.
        page.wait_for_url(f"{live_server.url}/p/s/**")
        assert page.locator("#payment").get_attribute("data-state") == "paid"
        assert "This statement is paid." in page.locator("#payment").inner_text()
        run_worker()  # the webhook the stand-in posted meanwhile

    checkout = Checkout.objects.get()
    assert (checkout.provider, checkout.status) == (provider, CheckoutStatus.APPROVED)
    assert Credit.objects.filter(account=account).count() == 1
    assert sorted(ProviderEvent.objects.values_list("outcome", flat=True)) == [
        "already_approved",
        "payment_recorded",
    ]
    for charge in charges:
        charge.refresh_from_db()
        assert charge.status == ChargeStatus.PAID
    assert check_ledger().ok


def test_settings_reach_the_online_payment_page(page: Any, live_server: Any) -> None:
    shop = make_shop()
    owner = owner_of(shop)
    owner.language = "fr"
    owner.save(update_fields=["language"])
    with override_settings(SITE_URL=live_server.url):
        page.goto(reverse("staff:login"))
        page.fill("input[name=username]", owner.email)
        page.fill("input[name=password]", PASSWORD)
        page.click("button[type=submit]")
        page.goto(reverse("staff:settings"))
        page.get_by_role("link", name="Paiement en ligne", exact=True).click()
        assert page.locator("h1").inner_text() == "Paiement en ligne"
        assert page.locator("#provider-test").count() == 1


def test_back_from_the_provider_then_paying_on_a_second_try_reads_paid_at_once(
    page: Any, live_server: Any
) -> None:
    """The statement page asked SumUp a moment ago (the customer came Back from its page):
    "Pay" again sends them to the same checkout and their return asks again, at once, rather
    than wait out the interval between the pages' asks."""
    shop = make_shop(name="Épicerie du Test")
    account, _charges = account_with_charges(shop, [45_00, 30_50])
    page.set_extra_http_headers({"Accept-Language": "en"})

    with standin_server(SITE_URL=live_server.url, HTTP_TIMEOUT_SECONDS=10) as standin:
        save_provider_account(
            shop_id=shop.pk,
            provider="sumup",
            api_key=standin.sumup_key,
            merchant_code=standin.merchant_code,
            webhook_secret=SUMUP_SECRET,
            actor=None,
        )  # no webhook is posted: only the pages' asks can tell the payment
        statement = issue_statement(account=account, actor=None, idempotency_key=key())
        token = create_payment_link(statement=statement, days=30)
        page.goto(reverse("portal:statement", kwargs={"token": token}))
        page.get_by_role("button", name="Pay €75.50").click()
        assert page.url.startswith(standin.base)
        page.go_back()  # to the statement: it asks SumUp, still pending
        page.wait_for_url(f"{live_server.url}/p/s/**")
        page.reload()  # and a reload within the interval asks nothing more
        checkout = Checkout.objects.get()
        reads = f"/v0.1/checkouts/{checkout.provider_checkout_id}"
        assert len(standin.requests("GET", reads)) == 1
        assert page.locator("#payment").get_attribute("data-state") != "paid"

        page.get_by_role("button", name="Pay €75.50").click()
        assert page.url == checkout.redirect_url  # the same checkout
        page.get_by_role("button", name="Pay 75.50 EUR").click()

        page.wait_for_url(f"{live_server.url}/p/s/**")
        assert page.locator("#payment").get_attribute("data-state") == "paid"
        assert len(standin.requests("GET", reads)) == 2

    assert Credit.objects.filter(account=account).count() == 1
    assert check_ledger().ok
