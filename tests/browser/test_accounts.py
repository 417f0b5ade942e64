"""Accounts in real Chromium: with automatic allocation off, the Account tab says why the
deposit is idle and applies it to the ticked charges in one click; pages stay within 390 px."""

import re
from typing import Any

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, ChargeStatus
from ardoise.shops.models import Shop
from tests.factories import PASSWORD, key, make_account, make_shop, owner_of

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _sign_in(page: Any, email: str) -> None:
    page.goto("/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r"/$"))


@pytest.fixture
def shop() -> Shop:
    return make_shop(auto_allocate=False)


@pytest.fixture
def account(shop: Shop) -> Account:
    account = make_account(shop, credit_limit=None, name="Camille Martin")
    for total, reference in [(40_00, "F-0001"), (25_00, "F-0002")]:
        ledger.post_charge(
            account=account, total=total, reference=reference, idempotency_key=key(), actor=None
        )
    ledger.record_top_up(
        account=account, amount=30_00, mode="transfer", idempotency_key=key(), actor=None
    )
    return account


def test_apply_the_idle_deposit_to_one_ticked_invoice(
    page: Any, shop: Shop, account: Account
) -> None:
    _sign_in(page, owner_of(shop).email)
    page.goto(f"/customers/{account.customer_id}/")
    assert "30,00\xa0€" in page.inner_text("#idle-deposit-reason")

    first, second = Charge.objects.filter(account=account).order_by("id")
    page.uncheck(f"#apply-deposit input[value='{first.pk}']")
    page.click("#apply-deposit button[type=submit]")
    page.wait_for_load_state()

    second.refresh_from_db()
    first.refresh_from_db()
    assert (first.open_amount, second.status) == (40_00, ChargeStatus.PAID)
    assert page.get_attribute("#deposit", "data-minor") == "500"


def test_the_audit_log_and_account_settings_fit_a_phone(page: Any, shop: Shop) -> None:
    page.set_viewport_size({"width": 390, "height": 800})
    _sign_in(page, owner_of(shop).email)
    for url in ["/settings/accounts/", "/settings/audit/"]:
        page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, url
