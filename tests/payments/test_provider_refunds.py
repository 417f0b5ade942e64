"""Refunds of a sale paid online, through the real SDKs against the stand-in: recorded in the ledger
only when the provider confirms, sent once, read back (never sent again blindly) when the answer
was lost."""

import datetime as dt
import json
import urllib.parse
from decimal import Decimal

import pytest
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Credit, CreditKind
from ardoise.payments.errors import (
    NothingToPayOut,
    NotPaidOnline,
    RefundAboveOnlinePayment,
    RefundInProgress,
)
from ardoise.payments.models import Checkout, ProviderRefund, RefundStatus
from ardoise.payments.reconciliation import MismatchKind, mismatches, reconcile
from ardoise.payments.refunding import send_refund
from ardoise.payments.refunds import refundable_checkout, request_online_refund
from ardoise.statements.models import StatementLink
from ardoise.statements.services import pay_statement
from tests.factories import key, make_shop
from tests.payments.provider_support import Setup, after_commit, standin_server, statement_to_pay
from tests.payments.standins import StandIn
from tests.statements.support import account_with_charges, run_worker
from tests.support import nothing_written

pytestmark = pytest.mark.django_db

PROVIDERS = ["sumup", "stripe"]


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def _paid(provider: str, standin: StandIn) -> tuple[Setup, Checkout]:
    """A statement of 45,00 € and 30,50 € paid online through `provider` (75,50 €)."""
    setup = statement_to_pay(provider, standin)
    link = StatementLink.objects.get(statement=setup.statement)
    checkout = pay_statement(link=link, return_url="http://testserver/back/")
    if provider == "sumup":
        standin.sumup_pay(checkout.provider_checkout_id)
    else:
        standin.stripe_pay(checkout.provider_checkout_id)
    reconcile(now=timezone.now() + dt.timedelta(minutes=6))
    checkout.refresh_from_db()
    assert checkout.credit_id is not None
    return setup, checkout


def _refund(setup: Setup, amount: int, charge_index: int = 0) -> ProviderRefund:
    with after_commit():
        return request_online_refund(
            charge=setup.charges[charge_index],
            amount=amount,
            reason="Damaged goods",
            to_account=None,
            idempotency_key=key(),
            actor=None,
        )


def _notes(setup: Setup) -> list[Credit]:
    return list(Credit.objects.filter(account=setup.account, kind=CreditKind.CREDIT_NOTE))


def _refunded_at(provider: str, standin: StandIn) -> list[int]:
    """What the stand-in gave back, in minor units."""
    if provider == "stripe":
        return [refund["amount"] for refund in standin.refunds.values()]
    return [
        int(event["amount"] * 100)
        for transaction in standin.transactions.values()
        for event in transaction["events"]
    ]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_partial_then_a_full_refund_are_recorded_when_the_provider_confirms(
    standin: StandIn, provider: str
) -> None:
    setup, _checkout = _paid(provider, standin)

    partial = _refund(setup, 10_00)
    assert (partial.status, _notes(setup)) == (RefundStatus.REQUESTED, [])  # asked, not yet
    run_worker()
    rest = _refund(setup, 35_00)
    run_worker()

    for refund in (partial, rest):
        refund.refresh_from_db()
        assert refund.status == RefundStatus.CONFIRMED
    assert _refunded_at(provider, standin) == [10_00, 35_00]
    notes = _notes(setup)
    assert [(n.payout_amount, n.payout_mode, n.amount) for n in notes] == [
        (10_00, "online", 0),
        (35_00, "online", 0),
    ]
    assert [n.pk for n in notes] == [partial.credit_id, rest.credit_id]
    setup.charges[0].refresh_from_db()
    assert setup.charges[0].creditable_amount == 0
    assert check_ledger().ok
    if provider == "sumup":  # the amount went out exactly, in major units
        (sent,) = [r for r in standin.requests("POST", "/v1.0/") if b"10.00" in r.body]
        assert json.loads(sent.body, parse_float=Decimal) == {"amount": Decimal("10.00")}
    else:
        posts = standin.requests("POST", "/v1/refunds")
        forms = [urllib.parse.parse_qs(p.body.decode()) for p in posts]
        assert [form["amount"] for form in forms] == [["1000"], ["3500"]]
        assert all(p.headers["Idempotency-Key"].endswith(":refund") for p in posts)


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refund_the_provider_refuses_records_nothing(standin: StandIn, provider: str) -> None:
    setup, _checkout = _paid(provider, standin)
    refund = _refund(setup, 10_00)
    # Meanwhile the money was given back from the provider's own dashboard.
    if provider == "sumup":
        transaction = next(iter(standin.transactions.values()))
        transaction["events"].append(
            {"id": 9, "type": "REFUND", "amount": Decimal("75.50"), "status": "SUCCESSFUL"}
        )
    else:
        standin.stripe_refund({"payment_intent": next(iter(standin.intents))})

    run_worker()

    refund.refresh_from_db()
    assert (refund.status, refund.credit_id) == (RefundStatus.REFUSED, None)
    assert refund.message.startswith("SumUp: " if provider == "sumup" else "Stripe: ")
    assert _notes(setup) == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_refund_whose_answer_was_lost_is_read_back_and_recorded_once(
    standin: StandIn, provider: str
) -> None:
    setup, _checkout = _paid(provider, standin)
    path = "/v1.0/merchants/" if provider == "sumup" else "/v1/refunds"
    standin.fail("POST", path, "timeout", times=5)  # done at the provider, answers lost
    refund = _refund(setup, 20_00)

    run_worker()
    refund.refresh_from_db()
    assert (refund.status, _notes(setup)) == (RefundStatus.REQUESTED, [])
    send_refund(refund.pk)  # the task run again: it is not sent twice
    standin.faults.clear()
    reconcile(now=timezone.now() + dt.timedelta(minutes=2))

    refund.refresh_from_db()
    assert refund.status == RefundStatus.CONFIRMED
    assert _refunded_at(provider, standin) == [20_00]
    # SumUp's refund has no key: sent once, then only read back. Stripe's has one: asked
    # again with it, and answered with the first one's result.
    posts = standin.requests("POST", path)
    if provider == "sumup":
        assert len(posts) == 1
    else:  # the outbound client's retry, then the reconciliation's: one key for all three
        assert len(posts) == 3
        assert len({post.headers["Idempotency-Key"] for post in posts}) == 1
    assert [n.payout_amount for n in _notes(setup)] == [20_00]


def test_a_sumup_refund_that_never_reached_sumup_is_refused_after_reading_back(
    standin: StandIn,
) -> None:
    setup, _checkout = _paid("sumup", standin)
    standin.fail("POST", "/v1.0/merchants/", "500")  # a 500 that did nothing
    refund = _refund(setup, 20_00)
    run_worker()

    reconcile(now=timezone.now() + dt.timedelta(minutes=2))

    refund.refresh_from_db()
    assert refund.status == RefundStatus.REFUSED
    assert "no record" in refund.message
    assert _refunded_at("sumup", standin) == []
    assert _notes(setup) == []


def test_a_refund_confirmed_that_the_ledger_cannot_take_is_listed(standin: StandIn) -> None:
    setup, _checkout = _paid("stripe", standin)
    refund = _refund(setup, 45_00)
    ledger.issue_credit_note(  # refunded another way before the provider answered
        charge=setup.charges[0],
        amount=45_00,
        reason="Refunded in cash",
        idempotency_key=key(),
        actor=None,
        refund_mode="cash",
        to_account=0,
    )

    run_worker()

    refund.refresh_from_db()
    assert (refund.status, refund.credit_id) == (RefundStatus.CONFIRMED, None)
    assert [m.kind for m in mismatches(setup.shop.pk)] == [MismatchKind.REFUND_NOT_RECORDED]
    assert check_ledger().ok


def test_refusals_before_anything_is_written(standin: StandIn) -> None:
    setup, _checkout = _paid("sumup", standin)
    first = _refund(setup, 5_00)

    with nothing_written(), pytest.raises(RefundInProgress):
        _refund(setup, 5_00)  # the first still waits for SumUp
    run_worker()
    shop = make_shop()
    account, (unpaid, paid_in_cash) = account_with_charges(shop, [10_00, 20_00])
    ledger.record_payment(
        account=account,
        amount=20_00,
        mode="cash",
        earmark=f"charge:{paid_in_cash.pk}",
        idempotency_key=key(),
        actor=None,
    )
    with nothing_written(), pytest.raises(NotPaidOnline):
        request_online_refund(
            charge=paid_in_cash,
            amount=20_00,
            reason="x",
            to_account=None,
            idempotency_key=key(),
            actor=None,
        )
    with nothing_written(), pytest.raises(NothingToPayOut):
        request_online_refund(
            charge=unpaid,
            amount=10_00,
            reason="x",
            to_account=None,
            idempotency_key=key(),
            actor=None,
        )
    first.refresh_from_db()
    assert first.status == RefundStatus.CONFIRMED
    assert refundable_checkout(setup.charges[0]).refundable == 75_50 - 5_00  # type: ignore[union-attr]


def test_the_same_refund_form_posted_twice_asks_once(standin: StandIn) -> None:
    setup, _checkout = _paid("stripe", standin)
    form_key = key()

    with after_commit():
        first = request_online_refund(
            charge=setup.charges[1],
            amount=30_50,
            reason="x",
            to_account=None,
            idempotency_key=form_key,
            actor=None,
        )
        again = request_online_refund(
            charge=setup.charges[1],
            amount=30_50,
            reason="x",
            to_account=None,
            idempotency_key=form_key,
            actor=None,
        )
    run_worker()

    assert first.pk == again.pk
    assert _refunded_at("stripe", standin) == [30_50]


def test_no_more_goes_back_to_the_card_than_was_paid_by_it(standin: StandIn) -> None:
    from ardoise.statements.issuing import issue_statement
    from ardoise.statements.links import create_payment_link
    from tests.payments.provider_support import connect

    shop = make_shop()
    connect(shop, "stripe", standin)
    account, (charge,) = account_with_charges(shop, [100_00])
    ledger.record_payment(  # 40,00 € in cash first, 60,00 € online
        account=account,
        amount=40_00,
        mode="cash",
        earmark=f"charge:{charge.pk}",
        idempotency_key=key(),
        actor=None,
    )
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    create_payment_link(statement=statement, days=30)
    link = StatementLink.objects.get(statement=statement)
    checkout = pay_statement(link=link, return_url="http://testserver/back/")
    standin.stripe_pay(checkout.provider_checkout_id)
    reconcile(now=timezone.now() + dt.timedelta(minutes=6))

    with nothing_written(), pytest.raises(RefundAboveOnlinePayment) as refused:
        request_online_refund(
            charge=charge,
            amount=100_00,
            reason="x",
            to_account=None,
            idempotency_key=key(),
            actor=None,
        )
    assert "60,00" in str(refused.value) or "60.00" in str(refused.value)
