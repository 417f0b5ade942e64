"""Two statements that list the same invoice, paid from their links at the same time: the
customer can start one payment of that invoice, never two (issue 11, "Links and payments").

Each statement has its own checkout reference, so the one-live-checkout-per-reference rule does
not cover this case: a checkout pending for some of the same charges refuses the other, and
starts on one account queue on its row, so that two started at once cannot both pass.
"""

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Account, Charge, ChargeStatus, Credit
from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.payments.online import PENDING_HOLD, receive_confirmation
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.statements.errors import NotPayableOnline
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from ardoise.statements.models import Statement, StatementLink
from ardoise.statements.services import pay_statement
from tests.factories import key, make_shop
from tests.statements.support import account_with_charges, enable_online_payment
from tests.support import database_snapshot


def _two_statements() -> tuple[Account, Charge, Statement, Statement]:
    """A 40 € invoice listed by an older statement and by a newer one (with a 5 € charge)."""
    shop = make_shop(auto_allocate=False)
    enable_online_payment(shop)
    account, (invoice,) = account_with_charges(shop, [40_00])
    older = issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    newer = issue_statement(account=account, actor=None, idempotency_key=key())
    for statement in (older, newer):
        create_payment_link(statement=statement, days=30)
    return account, invoice, older, newer


def _pay(statement: Statement) -> Checkout:
    link = StatementLink.objects.get(statement=statement)
    return pay_statement(link=link, return_url="http://testserver/back/")


def _confirm(checkout: Checkout) -> None:
    body, headers = TestProvider().make_confirmation(
        provider_checkout_id=checkout.provider_checkout_id,
        approve=True,
        amount=checkout.amount,
        currency=checkout.currency,
    )
    receive_confirmation(provider_code="test", body=body, headers=headers)


@pytest.mark.django_db
def test_a_payment_pending_for_an_invoice_refuses_another_statements_and_writes_nothing() -> None:
    _, _, older, newer = _two_statements()
    first = _pay(older)
    before = database_snapshot()

    with pytest.raises(NotPayableOnline) as refused:
        _pay(newer)

    with translation.override("en"):
        assert "not finished" in str(refused.value)
    assert database_snapshot() == before
    assert _pay(older).pk == first.pk  # the first statement's link resumes its own payment


@pytest.mark.django_db
def test_the_link_page_says_why_and_charges_nothing() -> None:
    _, _, older, newer = _two_statements()
    _pay(older)
    token = create_payment_link(statement=newer, days=30)
    before = database_snapshot()

    response = Client().post(reverse("portal:statement_pay", args=[token]))

    assert response.status_code == 409
    assert "started from another statement and is not finished" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.django_db
def test_once_the_first_is_paid_the_other_statement_asks_only_for_what_is_left() -> None:
    _, invoice, older, newer = _two_statements()
    _confirm(_pay(older))

    second = _pay(newer)

    invoice.refresh_from_db()
    assert invoice.status == ChargeStatus.PAID
    assert second.amount == 5_00  # the 40 € invoice is paid: only the 5 € charge is left


@pytest.mark.django_db
def test_a_payment_abandoned_for_longer_than_the_hold_no_longer_blocks() -> None:
    _, _, older, newer = _two_statements()
    first = _pay(older)
    Checkout.objects.filter(pk=first.pk).update(
        created_at=timezone.now() - PENDING_HOLD - dt.timedelta(seconds=1)
    )

    second = _pay(newer)

    assert second.status == CheckoutStatus.PENDING
    assert second.pk != first.pk


# --- Real concurrency on PostgreSQL ---------------------------------------------------------


def _at_once(works: list[Callable[[], object]]) -> list[object]:
    """Run each work in its own thread and connection, released together; results or errors."""
    barrier = threading.Barrier(len(works))
    results: list[object] = [None] * len(works)

    def run(index: int) -> None:
        try:
            barrier.wait()
            results[index] = works[index]()
        except BaseException as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(works))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_statements_paid_at_the_same_moment_open_one_payment_of_the_invoice() -> None:
    account, invoice, older, newer = _two_statements()

    results = _at_once([lambda: _pay(older), lambda: _pay(newer)] * 4)

    assert connection.vendor == "postgresql"
    started = {result.pk for result in results if isinstance(result, Checkout)}
    refused = [result for result in results if isinstance(result, NotPayableOnline)]
    assert len(started) == 1
    assert len(refused) + sum(isinstance(result, Checkout) for result in results) == 8
    assert Checkout.objects.filter(account=account).count() == 1

    # Paid, and its confirmation delivered four times at once: one payment, the invoice paid once.
    (checkout,) = Checkout.objects.filter(account=account)
    _at_once([lambda: _confirm(checkout)] * 4)
    invoice.refresh_from_db()
    assert invoice.status == ChargeStatus.PAID
    assert Credit.objects.filter(account=account).count() == 1
    assert check_ledger().ok
