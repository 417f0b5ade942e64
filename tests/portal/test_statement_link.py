"""The public statement page opened by the payment link, and paying with the test provider."""

import datetime as dt

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import ChargeStatus, Credit
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from tests.factories import key, make_shop
from tests.statements.support import account_with_charges, enable_online_payment
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def english() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _setup(totals=(60_00, 40_00), **shop_fields):  # type: ignore[no-untyped-def]
    shop = make_shop(**shop_fields)
    enable_online_payment(shop)
    account, charges = account_with_charges(shop, list(totals))
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    token = create_payment_link(statement=statement, days=shop.statement_link_days)
    return shop, account, charges, statement, token


def _url(token: str, name: str = "portal:statement") -> str:
    return reverse(name, kwargs={"token": token})


def test_the_link_opens_the_statement_with_its_amount_due(english: Client) -> None:
    shop, _, _, statement, token = _setup()

    response = english.get(_url(token))

    assert response.status_code == 200
    html = response.content.decode()
    assert f"Statement No. {statement.number}" in html
    assert "INV-0001" in html
    assert "INV-0002" in html
    assert "Pay €100.00" in html
    assert shop.name in html


def test_paying_approved_records_one_payment_and_the_charges_become_paid(
    english: Client,
) -> None:
    _, account, charges, _, token = _setup()

    start = english.post(_url(token, "portal:statement_pay"))
    checkout = Checkout.objects.get()
    assert start.status_code == 302
    assert start["Location"] == checkout.redirect_url
    page = english.get(checkout.redirect_url)
    assert "TEST PAYMENT PROVIDER" in page.content.decode()
    done = english.post(checkout.redirect_url, {"decision": "approve"})

    assert done["Location"] == "http://testserver" + _url(token)
    checkout.refresh_from_db()
    assert (checkout.status, checkout.amount, checkout.credit.amount) == (  # type: ignore[union-attr]
        CheckoutStatus.APPROVED,
        100_00,
        100_00,
    )
    for charge in charges:
        charge.refresh_from_db()
        assert (charge.status, charge.open_amount) == (ChargeStatus.PAID, 0)
    account.refresh_from_db()
    assert account.balance == 0
    assert "This statement is paid." in english.get(_url(token)).content.decode()
    assert check_ledger().problems == []

    # A second tab, or the back button: nothing more is taken.
    again = english.post(_url(token, "portal:statement_pay"))
    assert again.status_code == 409
    assert (Credit.objects.filter(account=account).count(), Checkout.objects.count()) == (1, 1)


def test_two_tabs_share_one_checkout_and_pay_once(english: Client) -> None:
    _, account, _, _, token = _setup()
    other_tab = Client(HTTP_ACCEPT_LANGUAGE="en")

    first = english.post(_url(token, "portal:statement_pay"))
    second = other_tab.post(_url(token, "portal:statement_pay"))
    assert first["Location"] == second["Location"]
    english.post(first["Location"], {"decision": "approve"})
    other_tab.post(second["Location"], {"decision": "approve"})

    assert Checkout.objects.count() == 1
    assert Credit.objects.filter(account=account).count() == 1
    assert ProviderEvent.objects.count() == 1  # the second tab found the checkout already paid


def test_declined_records_nothing_and_the_customer_may_try_again(english: Client) -> None:
    _, account, _, _, token = _setup()

    first = english.post(_url(token, "portal:statement_pay"))
    english.post(first["Location"], {"decision": "decline"})
    assert "Pay €100.00" in english.get(_url(token)).content.decode()
    second = english.post(_url(token, "portal:statement_pay"))

    assert first["Location"] != second["Location"]
    assert list(Checkout.objects.order_by("id").values_list("status", flat=True)) == [
        CheckoutStatus.DECLINED,
        CheckoutStatus.PENDING,
    ]
    assert Credit.objects.filter(account=account).count() == 0


def test_charges_paid_in_person_meanwhile_leave_the_payment_as_credit(english: Client) -> None:
    _, account, _, _, token = _setup()
    start = english.post(_url(token, "portal:statement_pay"))
    ledger.record_payment(
        account=account, amount=100_00, mode="cash", idempotency_key=key(), actor=None
    )

    english.post(start["Location"], {"decision": "approve"})

    account.refresh_from_db()
    assert (account.balance, account.deposit) == (100_00, 100_00)
    html = english.get(_url(token)).content.decode()
    assert "Part of the invoices had already been paid" in html
    assert "Kept as credit on your account" in html


def test_a_statement_settled_in_person_offers_nothing_to_pay(english: Client) -> None:
    _, account, _, _, token = _setup()
    ledger.record_payment(
        account=account, amount=100_00, mode="cash", idempotency_key=key(), actor=None
    )

    html = english.get(_url(token)).content.decode()

    assert "have been paid since it was sent" in html
    assert "Pay €100.00" not in html
    assert english.post(_url(token, "portal:statement_pay")).status_code == 409
    assert Checkout.objects.count() == 0


def test_above_the_online_maximum_it_cannot_be_paid_online(english: Client) -> None:
    _, _, _, _, token = _setup(online_payment_max=99_99)
    before = database_snapshot()

    html = english.get(_url(token)).content.decode()
    refused = english.post(_url(token, "portal:statement_pay"))

    assert "above what can be paid online" in html
    assert "Pay €100.00" not in html
    assert refused.status_code == 409
    assert "above what can be paid online" in refused.content.decode()
    assert database_snapshot().changes_since(before) == {}


def test_a_tampered_link_gives_a_clear_page_and_changes_nothing(english: Client) -> None:
    _, _, _, _, token = _setup()
    before = database_snapshot()
    tampered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    page = english.get(_url(tampered))
    pay = english.post(_url(tampered, "portal:statement_pay"))

    assert (page.status_code, pay.status_code) == (404, 404)
    assert "This link is not valid" in page.content.decode()
    assert database_snapshot().changes_since(before) == {}


def test_an_expired_link_gives_a_clear_page_and_changes_nothing(english: Client) -> None:
    _, _, _, _, token = _setup(statement_link_days=30)
    before = database_snapshot()

    with time_machine.travel(timezone.now() + dt.timedelta(days=30, minutes=1), tick=False):
        page = english.get(_url(token))
        pay = english.post(_url(token, "portal:statement_pay"))

    assert (page.status_code, pay.status_code) == (410, 410)
    assert "This link has expired" in page.content.decode()
    assert database_snapshot().changes_since(before) == {}


def test_a_foreign_link_gives_a_clear_page_and_changes_nothing(english: Client) -> None:
    """Signed with our key but not one of our links (another statement's, revoked, forged)."""
    _setup()
    before = database_snapshot()
    foreign = signing.TimestampSigner(salt="ardoise.statements.payment-link").sign("x" * 43)

    page = english.get(_url(foreign))
    pay = english.post(_url(foreign, "portal:statement_pay"))

    assert (page.status_code, pay.status_code) == (404, 404)
    assert "This link is not valid" in page.content.decode()
    assert database_snapshot().changes_since(before) == {}


def test_a_link_opens_its_own_statement_only(english: Client) -> None:
    shop, _, _, first, token = _setup()
    other_account, _ = account_with_charges(shop, [5_00])
    second = issue_statement(account=other_account, actor=None, idempotency_key=key())

    html = english.get(_url(token)).content.decode()

    assert f"Statement No. {first.number}" in html
    assert f"Statement No. {second.number}" not in html
