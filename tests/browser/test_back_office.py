"""The back office in real Chromium: sign in, find a customer, change the limit, record a payment.

The pages run in French (the fixture's locale); assertions use values that do not depend on
translations (amounts formatted by Babel, data attributes, URLs).
"""

import re
from typing import Any

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Credit
from ardoise.shops.models import RoleKind, Shop
from tests.factories import PASSWORD, key, make_account, make_member, make_shop, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def shop() -> Shop:
    return make_shop(default_credit_limit=300_00)


@pytest.fixture
def account(shop: Shop) -> Account:
    make_account(shop, name="Bruno Lefèvre", email="bruno@ex.fr")
    account = make_account(
        shop, credit_limit=100_00, name="Camille Martin", company="Le Petit Zinc"
    )
    ledger.post_charge(
        account=account, total=60_00, reference="F-0001", idempotency_key=key(), actor=None
    )
    return account


def sign_in(page: Any, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


def test_sign_in_and_find_a_customer_by_search(page: Any, shop: Shop, account: Account) -> None:
    sign_in(page, owner_of(shop).email)
    page.click(".mainnav a[href='/customers/']")
    page.wait_for_url("**/customers/")
    page.wait_for_load_state()

    page.fill("#id_q", "petit zinc")  # HTMX swaps the results as one types
    rows = page.locator("[data-testid=customer-table] tbody tr[data-customer]")
    rows.first.wait_for()
    page.wait_for_function(
        "document.querySelectorAll('[data-testid=customer-table] tbody tr[data-customer]')"
        ".length === 1"
    )
    assert rows.count() == 1
    assert rows.first.get_attribute("data-customer") == str(account.customer_id)
    assert "-60,00\xa0€" in rows.first.inner_text()
    assert re.search(r"q=petit(\+|%20)zinc", page.url)  # in the address, so it can be shared

    rows.first.locator("a").click()
    page.wait_for_url(f"**/customers/{account.customer_id}/")
    assert page.get_attribute("#balance", "data-minor") == "-6000"


def test_search_works_without_javascript(
    chromium: Any, live_server: Any, shop: Shop, account: Account
) -> None:
    context = chromium.new_context(
        base_url=live_server.url, locale="fr-FR", java_script_enabled=False
    )
    page = context.new_page()
    try:
        sign_in(page, owner_of(shop).email)
        page.goto("/customers/")
        page.fill("#id_q", "camille")
        page.click(".toolbar button[type=submit]")
        page.wait_for_url("**/customers/?*q=camille*")
        ids = page.locator("tbody tr[data-customer]").evaluate_all(
            "rows => rows.map(row => row.dataset.customer)"
        )
        assert ids == [str(account.customer_id)]
    finally:
        context.close()


def test_change_the_credit_limit_with_enter(page: Any, shop: Shop, account: Account) -> None:
    sign_in(page, owner_of(shop).email)
    page.goto(f"/customers/{account.customer_id}/")

    page.fill("#id_credit_limit", "250")
    page.press("#id_credit_limit", "Enter")

    page.wait_for_selector(".banner-success")
    assert page.inner_text("#limit-shown") == "250,00\xa0€"
    assert page.inner_text("#available") == "190,00\xa0€"
    account.refresh_from_db()
    assert account.credit_limit == 250_00


def test_deactivate_the_account_after_reading_what_it_blocks(
    page: Any, shop: Shop, account: Account
) -> None:
    sign_in(page, owner_of(shop).email)
    page.goto(f"/customers/{account.customer_id}/")

    page.click(f"a[href='/customers/{account.customer_id}/deactivate/']")
    page.click("button.danger")

    page.wait_for_selector(".banner-success")
    account.refresh_from_db()
    assert account.credit_limit == 0
    assert page.locator(f"a[href='/customers/{account.customer_id}/deactivate/']").count() == 0


def test_record_a_payment_and_see_balance_and_activity_update(
    page: Any, shop: Shop, account: Account
) -> None:
    sign_in(page, owner_of(shop).email)
    page.goto(f"/customers/{account.customer_id}/")
    assert page.get_attribute("#balance", "data-minor") == "-6000"

    page.click(f"a[href='/customers/{account.customer_id}/movements/payment/']")
    page.select_option("#id_mode", "cheque")
    page.fill("#id_amount", "25,50")
    page.fill("#id_reference", "Chèque 0042")
    page.click("form[data-movement=payment] button[type=submit]")

    page.wait_for_url(f"**/customers/{account.customer_id}/#activity")
    assert page.get_attribute("#balance", "data-minor") == "-3450"
    assert page.inner_text("#balance") == "-34,50\xa0€"
    first = page.locator("[data-testid=activity] tbody tr[data-kind]").first
    assert first.get_attribute("data-kind") == "payment"
    assert "Chèque 0042" in first.inner_text()
    assert "25,50\xa0€" in first.inner_text()
    assert "-34,50\xa0€" in first.inner_text()
    assert page.inner_text("#closing-balance") == "-34,50\xa0€"
    assert Credit.objects.filter(account=account).count() == 1


def test_a_double_click_on_record_posts_once(page: Any, shop: Shop, account: Account) -> None:
    sign_in(page, owner_of(shop).email)
    page.goto(f"/customers/{account.customer_id}/movements/payment/")
    page.fill("#id_amount", "10")

    page.dblclick("form[data-movement=payment] button[type=submit]")

    page.wait_for_url(f"**/customers/{account.customer_id}/#activity")
    assert Credit.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == -50_00


def test_an_associate_sees_no_limit_field_nor_adjustments(
    page: Any, shop: Shop, account: Account
) -> None:
    associate = make_member(shop, RoleKind.ASSOCIATE)
    sign_in(page, associate.email)
    page.goto(f"/customers/{account.customer_id}/")

    assert page.locator("#limit-form").count() == 0
    assert page.locator("a[href$='/movements/debit/']").count() == 0
    assert page.locator("a[href$='/movements/payment/']").count() == 1
