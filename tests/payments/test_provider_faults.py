"""Faults, through the real SDKs against the stand-in: a provider that times out or answers 500
when a checkout is opened, a confirmation for a checkout Ardoise never opened, a checkout
nobody tells us about. Nothing is recorded that the provider did not confirm, and the
reconciliation finds and lists what does not agree."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Credit
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.reconciliation import MismatchKind, mismatches, reconcile
from ardoise.payments.tasks import reconcile_payments_task
from ardoise.statements.models import StatementLink
from ardoise.statements.services import pay_statement
from tests.payments.provider_support import (
    Setup,
    after_commit,
    pay_path,
    secret_of,
    standin_server,
    statement_to_pay,
    webhook_path,
)
from tests.payments.standins import StandIn
from tests.statements.support import run_worker

pytestmark = pytest.mark.django_db

PROVIDERS = ["sumup", "stripe"]
CREATE = {"sumup": "/v0.1/checkouts", "stripe": "/v1/checkout/sessions"}


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def _open(setup: Setup) -> Checkout:
    link = StatementLink.objects.get(statement=setup.statement)
    return pay_statement(link=link, return_url="http://testserver/back/")


def _credits(setup: Setup) -> int:
    return Credit.objects.filter(account=setup.account).count()


def _kinds(setup: Setup) -> list[str]:
    return [mismatch.kind for mismatch in mismatches(setup.shop.pk)]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_creation_answered_too_late_is_retried_and_opens_one_checkout(
    standin: StandIn, provider: str
) -> None:
    setup = statement_to_pay(provider, standin)
    standin.fail("POST", CREATE[provider], "timeout")  # made at the provider, answer lost

    checkout = _open(setup)

    attempts = standin.requests("POST", CREATE[provider])
    assert len(attempts) == 2
    opened = standin.checkouts if provider == "sumup" else standin.sessions
    assert list(opened) == [checkout.provider_checkout_id]  # one, whatever the retry
    if provider == "sumup":  # the same reference: SumUp refused the second as a duplicate
        assert attempts[0].body == attempts[1].body
    else:  # the same idempotency key: Stripe answered the second with the first's result
        keys = {attempt.headers["Idempotency-Key"] for attempt in attempts}
        assert len(keys) == 1
    assert checkout.status == CheckoutStatus.PENDING


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("fault", ["timeout", "500"])
def test_a_provider_that_cannot_open_the_checkout_records_nothing_and_is_listed(
    standin: StandIn, provider: str, fault: str
) -> None:
    setup = statement_to_pay(provider, standin)
    standin.fail("POST", CREATE[provider], fault, times=5)

    response = Client(HTTP_ACCEPT_LANGUAGE="en").post(pay_path(setup.token))

    assert response.status_code == 409
    assert "The payment service did not answer. Nothing was charged" in response.content.decode()

    # A 500 is an answer, not retried; a timeout is retried once (HTTP_RETRIES=1).
    assert len(standin.requests("POST", CREATE[provider])) == (2 if fault == "timeout" else 1)
    checkout = Checkout.objects.get()
    assert checkout.status == CheckoutStatus.DECLINED
    assert checkout.provider_error.startswith("SumUp: " if provider == "sumup" else "Stripe: ")
    assert ("no answer" in checkout.provider_error) == (fault == "timeout")
    assert _credits(setup) == 0
    assert _kinds(setup) == [MismatchKind.NOT_OPENED]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_confirmation_for_a_checkout_never_opened_pays_nothing_and_is_listed(
    standin: StandIn, provider: str
) -> None:
    setup = statement_to_pay(provider, standin)
    if provider == "sumup":
        elsewhere = standin.sumup_open("75.50")
        standin.sumup_pay(elsewhere)
        body, headers = standin.sumup_event(elsewhere, secret=secret_of(provider))
    else:
        _status, session = standin.stripe_create(
            {
                "mode": "payment",
                "line_items[0][price_data][unit_amount]": "7550",
                "line_items[0][price_data][currency]": "eur",
            }
        )
        elsewhere = session["id"]
        standin.stripe_pay(elsewhere)
        body, headers = standin.stripe_event(elsewhere, secret=secret_of(provider))
    with after_commit():
        response = Client().post(
            webhook_path(setup.provider_account),
            data=body,
            content_type="application/json",
            headers=headers,
        )
    run_worker()

    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.reported_status, event.provider_checkout_id) == (
        "unknown_checkout",
        "approved",
        elsewhere,
    )
    assert _credits(setup) == 0
    (mismatch,) = mismatches(setup.shop.pk)
    assert (mismatch.kind, mismatch.amount, mismatch.provider_checkout_id) == (
        MismatchKind.PAID_NOT_RECORDED,
        75_50,
        elsewhere,
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_reconciliation_records_a_payment_nobody_told_us_about(
    standin: StandIn, provider: str
) -> None:
    setup = statement_to_pay(provider, standin)
    checkout = _open(setup)
    if provider == "sumup":
        standin.sumup_pay(checkout.provider_checkout_id)
    else:
        standin.stripe_pay(checkout.provider_checkout_id)

    early = reconcile(now=timezone.now() + dt.timedelta(minutes=1))  # too soon to ask
    later = reconcile(now=timezone.now() + dt.timedelta(minutes=6))
    again = reconcile(now=timezone.now() + dt.timedelta(minutes=7))

    assert (early.checkouts_asked, later.checkouts_asked, later.checkouts_ended) == (0, 1, 1)
    assert again.checkouts_asked == 0
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.APPROVED
    assert _credits(setup) == 1
    assert ProviderEvent.objects.get().event_id == f"read:{checkout.provider_checkout_id}:approved"
    assert _kinds(setup) == []
    assert check_ledger().ok


def test_the_reconciliation_ends_an_expired_checkout_and_a_failed_one(standin: StandIn) -> None:
    first = statement_to_pay("sumup", standin)
    second = statement_to_pay("sumup", standin)
    expired, failed = _open(first), _open(second)
    standin.sumup_pay(expired.provider_checkout_id, status="EXPIRED")
    standin.sumup_pay(failed.provider_checkout_id, status="FAILED")

    run = reconcile(now=timezone.now() + dt.timedelta(minutes=6))

    assert (run.checkouts_asked, run.checkouts_ended) == (2, 2)
    outcomes = dict(ProviderEvent.objects.values_list("checkout_id", "outcome"))
    assert outcomes == {expired.pk: "expired", failed.pk: "declined"}
    expired.refresh_from_db()
    failed.refresh_from_db()
    assert (expired.status, failed.status) == (CheckoutStatus.EXPIRED, CheckoutStatus.DECLINED)
    assert _credits(first) + _credits(second) == 0


def test_a_provider_down_during_reconciliation_is_asked_again_next_time(standin: StandIn) -> None:
    setup = statement_to_pay("stripe", standin)
    checkout = _open(setup)
    standin.stripe_pay(checkout.provider_checkout_id)
    standin.fail("GET", "/v1/checkout/sessions/", "500", times=1)

    down = reconcile(now=timezone.now() + dt.timedelta(minutes=6))
    up = reconcile(now=timezone.now() + dt.timedelta(minutes=11))

    assert (down.unreachable, up.checkouts_ended) == (1, 1)
    assert _credits(setup) == 1


def test_a_checkout_still_pending_hours_later_is_listed(standin: StandIn) -> None:
    setup = statement_to_pay("sumup", standin)
    _open(setup)

    listed = mismatches(setup.shop.pk, now=timezone.now() + dt.timedelta(hours=3))

    assert [mismatch.kind for mismatch in listed] == [MismatchKind.STILL_PENDING]


def test_the_reconciliation_is_scheduled_once_and_each_run_schedules_the_next() -> None:
    call_command("reconcile_payments", "--schedule")
    call_command("reconcile_payments", "--schedule")
    waiting = DBTaskResult.objects.filter(task_path=reconcile_payments_task.module_path)
    assert [task.status for task in waiting] == ["READY"]
    assert waiting.get().run_after > timezone.now()

    DBTaskResult.objects.all().delete()
    reconcile_payments_task.call()  # one run, as the worker runs it

    assert waiting.count() == 1
