"""In Chromium on a phone (390 px): a customer tops up 25 €, presses Back and sends the form again.

Two ways a browser goes back, both covered:

- the page is fetched again (Playwright's Chromium runs without the back/forward cache, as a
  browser does when it evicted the page, or for a form reopened by hand): the page carries a
  new key, so the form says the first top-up was paid (or is waiting: then it offers to finish
  that one) and opens nothing until the customer chooses;
- the page is restored from the back/forward cache (Chromium's default, the pages send no
  `Cache-Control: no-store`): the same key, so the first checkout comes back, paid.
"""

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from ardoise.ledger.models import Account, Credit, CreditKind
from ardoise.payments.models import Checkout, CheckoutPurpose
from ardoise.shops.models import Shop
from tests.browser.test_portal import PHONE
from tests.conftest import CHROMIUM_ARGS, chromium_path
from tests.payments.orders_support import account_with_balance, ordering_shop
from tests.portal.support import portal_client
from tests.statements.support import squash

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("ARDOISE_SCREENSHOTS", "")  # a folder, to look at the pages

WORDS = {
    "fr": {
        "amount": "Montant",
        "pay": "Payer en ligne",
        "approve": "Accepter le paiement",
        "paid": "Vous avez rechargé 25,00 € il y a",
        "again": "Oui, recharger à nouveau 25,00 €",
        "waiting": "Vous avez commencé un rechargement de 30,00 € il y a",
        "finish": "Terminer ce paiement",
        "received": "Paiement de 25,00 € reçu, merci.",
    },
    "en": {
        "amount": "Amount",
        "pay": "Pay online",
        "approve": "Approve payment",
        "paid": "You topped up €25.00",
        "again": "Yes, top up €25.00 again",
        "waiting": "You started a top-up of €30.00",
        "finish": "Finish that payment",
        "received": "Payment of €25.00 received, thank you.",
    },
}


@pytest.fixture
def shop() -> Shop:
    return ordering_shop(name="Ferme des Quatre Saisons", top_up_minimum=10_00)


def _customer(shop: Shop, language: str) -> Account:
    return account_with_balance(shop, 0, language=language)


def _phone(browser: Any, live_server: Any, account: Account, language: str) -> Any:
    """A phone signed in to the customer's portal (the session the sign-in link opens)."""
    context = browser.new_context(
        base_url=live_server.url,
        locale="fr-FR" if language == "fr" else "en-GB",
        viewport=PHONE,
        bypass_csp=True,
    )
    session = portal_client(account.customer).cookies["sessionid"].value
    context.add_cookies([{"name": "sessionid", "value": session, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def _top_up(page: Any, words: dict[str, str], amount: str) -> None:
    page.get_by_label(words["amount"]).fill(amount)
    page.get_by_role("button", name=words["pay"]).click()


def _top_ups(account: Account) -> list[int]:
    credits = Credit.objects.filter(account=account, kind=CreditKind.TOP_UP).order_by("id")
    return list(credits.values_list("amount", flat=True))


def _checkouts(account: Account) -> list[tuple[int, str]]:
    rows = Checkout.objects.filter(account=account, purpose=CheckoutPurpose.TOP_UP).order_by("id")
    return list(rows.values_list("amount", "status"))


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _overflow(page: Any) -> int:
    script = "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    return int(page.evaluate(script))


@pytest.mark.parametrize("language", ["fr", "en"])
def test_back_fetches_the_top_up_again_and_a_second_one_is_asked_first(
    chromium: Any, live_server: Any, shop: Shop, language: str
) -> None:
    words = WORDS[language]
    account = _customer(shop, language)
    page = _phone(chromium, live_server, account, language)
    try:
        page.goto(reverse("portal:top_up", args=[shop.slug]))
        first_key = page.input_value("input[name=idempotency_key]")
        _top_up(page, words, "25")
        page.get_by_role("button", name=words["approve"]).click()
        page.wait_for_selector("[data-testid=payment-received]")

        page.go_back()  # the provider's page
        page.go_back()  # the top-up form, fetched again
        page.wait_for_selector("[data-testid=top-up]")
        assert page.input_value("input[name=idempotency_key]") != first_key  # drawn again
        _top_up(page, words, "25")
        page.wait_for_selector("#repeat-question")

        assert words["paid"] in squash(page.inner_text("#repeat-question"))
        assert _top_ups(account) == [25_00]
        assert len(_checkouts(account)) == 1
        assert _overflow(page) <= 0
        _shot(page, f"top-up-again-paid-{language}")

        page.get_by_role("button", name=words["again"]).click()
        page.get_by_role("button", name=words["approve"]).click()
        page.wait_for_selector("[data-testid=payment-received]")
        assert _top_ups(account) == [25_00, 25_00]

        # Back from the provider's page without paying, then the same amount again.
        page.goto(reverse("portal:top_up", args=[shop.slug]))
        _top_up(page, words, "30")
        page.wait_for_url(re.compile(r"/p/test-provider/"))
        waiting_at = page.url
        page.go_back()
        page.wait_for_selector("[data-testid=top-up]")
        _top_up(page, words, "30")
        page.wait_for_selector("#repeat-question")
        assert words["waiting"] in squash(page.inner_text("#repeat-question"))
        assert _overflow(page) <= 0
        _shot(page, f"top-up-again-waiting-{language}")

        page.get_by_role("link", name=words["finish"]).click()
        page.wait_for_url(waiting_at)  # the same checkout, none opened
        page.get_by_role("button", name=words["approve"]).click()
        page.wait_for_selector("[data-testid=payment-received]")
        assert _top_ups(account) == [25_00, 25_00, 30_00]
        assert [status for _, status in _checkouts(account)] == ["approved"] * 3
    finally:
        page.context.close()


@pytest.fixture
def cached_browser(chromium: Any) -> Iterator[Any]:
    """A Chromium with its back/forward cache on, as a customer's browser has it (Playwright
    turns it off by default)."""
    path = chromium_path()
    assert path is not None  # the `chromium` fixture skipped (or failed with CI=true) otherwise
    browser = chromium.browser_type.launch(
        executable_path=path,
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    yield browser
    browser.close()


def test_back_restores_the_top_up_and_sending_it_again_gives_the_first_payment(
    cached_browser: Any, live_server: Any, shop: Shop
) -> None:
    words = WORDS["fr"]
    account = _customer(shop, "fr")
    page = _phone(cached_browser, live_server, account, "fr")
    try:
        page.goto(reverse("portal:top_up", args=[shop.slug]))
        page.evaluate(
            "addEventListener('pageshow', (event) => { window.restored = event.persisted })"
        )
        first_key = page.input_value("input[name=idempotency_key]")
        _top_up(page, words, "25")
        page.get_by_role("button", name=words["approve"]).click()
        page.wait_for_selector("[data-testid=payment-received]")

        page.evaluate("history.go(-2)")  # a restored page fires no load event to wait for
        page.wait_for_function("window.restored === true")
        assert page.input_value("input[name=idempotency_key]") == first_key
        _top_up(page, words, "25")
        page.wait_for_selector("[data-testid=payment-received]")

        assert words["received"] in squash(page.inner_text("main"))
        assert _top_ups(account) == [25_00]
        assert len(_checkouts(account)) == 1
    finally:
        page.context.close()
