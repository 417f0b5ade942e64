"""A statement paid online leaves every invoice it listed paid, whatever the allocation setting,
and the payment reads "Statement No. 3 paid online", never its internal reference."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Account, Charge, ChargeStatus, Credit
from ardoise.payments.models import Checkout
from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.statements.errors import NotPayableOnline
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from ardoise.statements.models import Statement, StatementLink
from ardoise.statements.selectors import snapshot_account
from ardoise.statements.services import pay_statement
from tests.factories import client_for, key, make_shop, owner_of
from tests.statements.support import account_with_charges, enable_online_payment

pytestmark = pytest.mark.django_db


def _pay_online(statement: Statement) -> Checkout:
    token = create_payment_link(statement=statement, days=30)
    link = StatementLink.objects.get(statement=statement)
    assert token
    checkout = pay_statement(link=link, return_url="http://testserver/back/")
    body, headers = TestProvider().make_confirmation(
        provider_checkout_id=checkout.provider_checkout_id,
        approve=True,
        amount=checkout.amount,
        currency=checkout.currency,
    )
    receive_confirmation(provider_code="test", body=body, headers=headers)
    checkout.refresh_from_db()
    return checkout


def _account_with_deposit(
    *, auto_allocate: bool, earmark: str = ""
) -> tuple[Account, list[Charge]]:
    """Invoices of 40 € and 25 €, and a 30 € deposit left unapplied beside them."""
    shop = make_shop(auto_allocate=auto_allocate)
    enable_online_payment(shop)
    account, charges = account_with_charges(shop, [40_00, 25_00])
    ledger.record_top_up(
        account=account,
        amount=30_00,
        mode="transfer",
        earmark=earmark,
        idempotency_key=key(),
        actor=None,
    )
    account.refresh_from_db()
    assert (account.debt, account.deposit) == (65_00, 30_00)
    return account, charges


@pytest.mark.parametrize(
    ("auto_allocate", "earmark"),
    [(False, ""), (True, "order:999")],  # allocation off; on, with a deposit held for an order
    ids=["allocation-off", "deposit-held-for-an-order"],
)
def test_a_statement_paid_online_leaves_every_invoice_it_listed_paid(
    auto_allocate: bool, earmark: str
) -> None:
    account, charges = _account_with_deposit(auto_allocate=auto_allocate, earmark=earmark)
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    assert statement.amount_due == 35_00

    checkout = _pay_online(statement)

    assert checkout.amount == 35_00
    for charge in charges:
        charge.refresh_from_db()
        assert (charge.status, charge.open_amount) == (ChargeStatus.PAID, 0)
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (0, 0, 0)
    assert check_ledger().ok


def test_a_part_paid_at_the_counter_since_the_statement_is_not_charged_again() -> None:
    shop = make_shop(auto_allocate=False)
    enable_online_payment(shop)
    account, (first, second) = account_with_charges(shop, [40_00, 25_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.record_payment(  # the second invoice is paid at the counter meanwhile
        account=account,
        amount=25_00,
        mode="cash",
        earmark=f"charge:{second.pk}",
        idempotency_key=key(),
        actor=None,
    )

    checkout = _pay_online(statement)

    assert checkout.amount == 40_00  # what the invoices still owed, not the statement's 65,00 €
    first.refresh_from_db()
    assert first.status == ChargeStatus.PAID
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (0, 0, 0)


def test_an_online_payment_reads_as_the_statement_paid_not_its_internal_reference() -> None:
    shop = make_shop(language="fr")
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [40_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    checkout = _pay_online(statement)

    credit = Credit.objects.get(pk=checkout.credit_id)
    assert credit.reference == f"Paiement en ligne du relevé n°\u00a0{statement.number}"
    assert "statement:" not in credit.reference


def test_the_account_activity_names_the_statement_paid_online_in_the_readers_language() -> None:
    shop = make_shop(language="fr")
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [40_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    _pay_online(statement)

    page = client_for(owner_of(shop)).get(
        reverse("staff:customer_account", args=[account.customer_id])
    )

    html = page.content.decode()
    assert f"Statement No. {statement.number} paid online" in html
    assert "statement:" not in html


def test_an_older_payment_with_an_internal_reference_is_shown_with_the_statement_number() -> None:
    shop = make_shop()
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [40_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    checkout = _pay_online(statement)
    # Payments recorded before this fix kept the checkout's reference.
    Credit.objects.filter(pk=checkout.credit_id).update(reference=f"statement:{statement.pk}")
    credit = Credit.objects.get(pk=checkout.credit_id)
    (charge,) = Charge.objects.filter(account=account)
    ledger.unallocate(credit=credit, charge=charge, amount=10_00, idempotency_key=key(), actor=None)

    html = (
        client_for(owner_of(shop))
        .get(reverse("staff:customer_account", args=[account.customer_id]))
        .content.decode()
    )
    with translation.override("en"):
        _snapshot, lines = snapshot_account(account=account, customer=account.customer)

    assert f"Statement No. {statement.number} paid online" in html
    assert "statement:" not in html
    assert [line.reference for line in lines] == [
        "INV-0001",
        f"Statement No. {statement.number} paid online",
    ]


def test_a_later_statement_names_the_online_payment_in_the_customers_language() -> None:
    shop = make_shop(language="fr")
    enable_online_payment(shop)
    account, (charge,) = account_with_charges(shop, [40_00], language="en")
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    credit = Credit.objects.get(pk=_pay_online(statement).credit_id)
    ledger.unallocate(credit=credit, charge=charge, amount=10_00, idempotency_key=key(), actor=None)

    _snapshot, lines = snapshot_account(account=account, customer=account.customer)

    assert credit.reference.startswith("Paiement en ligne")  # the shop's language, for staff
    assert lines[-1].reference == f"Statement No. {statement.number} paid online"


def test_two_statements_listing_the_same_invoice_cannot_get_it_paid_twice() -> None:
    shop = make_shop(auto_allocate=False)
    enable_online_payment(shop)
    account, (invoice,) = account_with_charges(shop, [40_00])
    older = issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    newer = issue_statement(account=account, actor=None, idempotency_key=key())  # lists both
    _pay_online(newer)

    token = create_payment_link(statement=older, days=30)
    page = Client().get(reverse("portal:statement", args=[token]))

    invoice.refresh_from_db()
    assert invoice.status == ChargeStatus.PAID
    assert page.context["payment"].state == "settled"
    assert Checkout.objects.filter(shop=shop).count() == 1
    with pytest.raises(NotPayableOnline):
        pay_statement(
            link=StatementLink.objects.get(statement=older), return_url="http://testserver/"
        )
    assert Checkout.objects.filter(shop=shop).count() == 1


def test_the_link_page_offers_only_what_is_still_owed() -> None:
    shop = make_shop(auto_allocate=False)
    enable_online_payment(shop)
    account, (_first, second) = account_with_charges(shop, [40_00, 25_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.record_payment(
        account=account,
        amount=10_00,
        mode="cash",
        earmark=f"charge:{second.pk}",
        idempotency_key=key(),
        actor=None,
    )
    token = create_payment_link(statement=statement, days=30)

    with translation.override("en"):
        page = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("portal:statement", args=[token]))

    html = page.content.decode()
    assert page.context["payment"].amount == 55_00
    assert "Pay €55.00" in html
    assert "Pay €65.00" not in html
