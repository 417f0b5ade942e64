"""In Chromium: the cashier records 20 € in cash, presses Back and sends the form again.

Two ways a browser goes back, both covered:

- the page is fetched again (Playwright's Chromium runs without the back/forward cache, as a
  browser does when it evicted the page, or for a form reopened by hand): the page carries a
  new key, so the form asks whether to record another 20 € and records nothing until the box is
  ticked;
- the page is restored from the back/forward cache (Chromium's default, the pages send no
  `Cache-Control: no-store`): the same key, so the first result comes back, said as such.
"""

import re
from collections.abc import Iterator
from typing import Any

import pytest

from ardoise.ledger.models import Account, Credit, CreditKind
from ardoise.shops.models import Shop
from tests.conftest import CHROMIUM_ARGS, chromium_path
from tests.factories import PASSWORD, make_account, make_shop, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QUESTION = "Un paiement de 20,00\xa0€ (Espèces) a été enregistré pour ce client il y a"


@pytest.fixture
def shop() -> Shop:
    return make_shop()


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=None, name="Camille Martin")


def _sign_in(page: Any, shop: Shop) -> None:
    page.goto("/login/")
    page.fill("#id_username", owner_of(shop).email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def _pay_20_in_cash(page: Any) -> None:
    page.select_option("#id_mode", "cash")
    page.fill("#id_amount", "20")
    page.click("form[data-movement] button[type=submit]")


def _payments(account: Account) -> list[int]:
    credits = Credit.objects.filter(account=account, kind=CreditKind.PAYMENT).order_by("id")
    return list(credits.values_list("amount", flat=True))


def test_back_fetches_the_page_again_and_the_second_payment_is_asked_first(
    page: Any, shop: Shop, account: Account
) -> None:
    _sign_in(page, shop)
    page.goto(f"/customers/{account.customer_id}/movements/payment/")
    first_key = page.input_value("input[name=idempotency_key]")
    _pay_20_in_cash(page)
    page.wait_for_url(re.compile(r"#activity$"))

    page.go_back()
    page.wait_for_load_state()
    assert page.input_value("input[name=idempotency_key]") != first_key  # drawn again
    _pay_20_in_cash(page)
    page.wait_for_selector("#repeat-question")

    assert QUESTION in page.inner_text("#repeat-question")
    assert _payments(account) == [20_00]

    page.check("#id_confirm_repeat")
    page.click("form[data-movement] button[type=submit]")
    page.wait_for_url(re.compile(r"#activity$"))
    assert _payments(account) == [20_00, 20_00]


@pytest.fixture
def cached_page(chromium: Any, live_server: Any) -> Iterator[Any]:
    """A page in a Chromium with its back/forward cache on, as a cashier's browser has it
    (Playwright turns it off by default)."""
    browser = chromium.browser_type.launch(
        executable_path=_executable(),
        args=CHROMIUM_ARGS,
        ignore_default_args=["--disable-back-forward-cache"],
    )
    context = browser.new_context(base_url=live_server.url, locale="fr-FR", bypass_csp=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
    browser.close()


def _executable() -> str:
    path = chromium_path()
    assert path is not None  # the `chromium` fixture skipped (or failed with CI=true) otherwise
    return path


def test_back_restores_the_page_and_sending_it_again_says_it_was_already_recorded(
    cached_page: Any, shop: Shop, account: Account
) -> None:
    page = cached_page
    _sign_in(page, shop)
    page.goto(f"/customers/{account.customer_id}/movements/payment/")
    page.evaluate("addEventListener('pageshow', (event) => { window.restored = event.persisted })")
    first_key = page.input_value("input[name=idempotency_key]")
    _pay_20_in_cash(page)
    page.wait_for_url(re.compile(r"#activity$"))

    page.evaluate("history.back()")  # a restored page fires no load event to wait for
    page.wait_for_function("window.restored === true")
    assert page.input_value("input[name=idempotency_key]") == first_key
    _pay_20_in_cash(page)
    page.wait_for_url(re.compile(r"#activity$"))

    assert "Déjà enregistré : ce formulaire avait déjà été envoyé." in page.inner_text("body")
    assert _payments(account) == [20_00]
