"""Bulk runs: one statement per customer who owes money, however often the run is started."""

import datetime as dt
from collections import Counter

import pytest
import time_machine
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.statements import delivery, services
from ardoise.statements.delivery import process_statement_run
from ardoise.statements.models import (
    ItemStatus,
    RunStatus,
    SendStatus,
    Statement,
    StatementRunItem,
    StatementSend,
)
from ardoise.statements.services import start_statement_run
from tests.factories import key, make_account, make_shop
from tests.statements.support import account_with_charges, run_worker, smtp_server

pytestmark = pytest.mark.django_db


def _debtors(shop, count):  # type: ignore[no-untyped-def]
    return [
        account_with_charges(shop, [10_00 + n], email_address=f"c{n}@example.com")[0]
        for n in range(count)
    ]


def test_a_run_sends_one_statement_to_each_customer_who_owes_at_least_the_minimum(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = make_shop()
    owes, _ = account_with_charges(shop, [50_00], email_address="owes@example.com")
    account_with_charges(shop, [5_00], email_address="small@example.com")
    no_email, _ = account_with_charges(shop, [80_00], email_address="")
    in_credit = make_account(shop, email="credit@example.com")
    ledger.record_top_up(
        account=in_credit, amount=10_00, mode="cash", idempotency_key=key(), actor=None
    )

    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            run = start_statement_run(
                shop=shop, minimum_debt=10_00, actor=None, idempotency_key=key()
            )
        run_worker()

    assert sink.recipients() == ["owes@example.com"]
    items = {item.account_id: item for item in StatementRunItem.objects.filter(run=run)}
    assert set(items) == {owes.pk, no_email.pk}
    assert (items[owes.pk].status, items[no_email.pk].status) == (
        ItemStatus.SENT,
        ItemStatus.SKIPPED,
    )
    assert items[no_email.pk].reason == "no email address"
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    assert Statement.objects.filter(shop=shop).count() == 1


def test_the_same_key_starts_one_run() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    same = key()

    first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=same)
    second = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=same)

    assert first.pk == second.pk
    assert StatementRunItem.objects.filter(run=first).count() == 2


def test_a_finished_run_run_again_sends_nothing_more() -> None:
    shop = make_shop()
    _debtors(shop, 3)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    with smtp_server() as sink:
        process_statement_run(run_id=run.pk)
        process_statement_run(run_id=run.pk)

    assert len(sink.messages) == 3
    assert StatementSend.objects.count() == 3


@pytest.mark.slow
def test_500_customers_interrupted_half_way_then_run_again_get_one_statement_each() -> None:
    shop = make_shop()
    accounts = _debtors(shop, 500)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    with smtp_server(refuse_after=250) as sink:
        process_statement_run(run_id=run.pk)
        assert len(sink.messages) == 250
        counts = Counter(StatementRunItem.objects.filter(run=run).values_list("status", flat=True))
        assert counts == {ItemStatus.SENT: 250, ItemStatus.FAILED: 250}
        reasons = StatementSend.objects.filter(status=SendStatus.FAILED).values_list(
            "reason", flat=True
        )
        assert {reason.split(":", 1)[0] for reason in reasons} == {"SMTPDataError"}

        sink.refuse_after = None  # the server is back
        services.resume_statement_run(run=run, actor=None)
        process_statement_run(run_id=run.pk)

    received = Counter(sink.recipients())
    assert len(received) == 500
    assert set(received.values()) == {1}
    assert set(received) == {account.customer.email for account in accounts}
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
    # One statement per customer: the retry reused the snapshot of the failed attempt.
    assert Statement.objects.filter(shop=shop).count() == 500


class WorkerKilled(BaseException):
    """Stands for the worker process being killed in the middle of an item."""


def test_a_worker_killed_mid_run_resumes_without_sending_anyone_twice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = make_shop()
    _debtors(shop, 6)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    real_deliver = delivery.deliver_statement_send
    calls = {"n": 0}

    def deliver_then_die(*, send_id: int):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 4:
            raise WorkerKilled  # killed after claiming item 4, before its email left
        return real_deliver(send_id=send_id)

    with smtp_server() as sink:
        monkeypatch.setattr(delivery, "deliver_statement_send", deliver_then_die)
        with pytest.raises(WorkerKilled):
            process_statement_run(run_id=run.pk)
        monkeypatch.setattr(delivery, "deliver_statement_send", real_deliver)
        assert len(sink.messages) == 3

        # Run again at once: the interrupted item might still be in a live worker's hands.
        process_statement_run(run_id=run.pk)
        assert len(sink.messages) == 5
        stuck = StatementRunItem.objects.get(run=run, status=ItemStatus.SENDING)
        run.refresh_from_db()
        assert run.status == RunStatus.RUNNING

        # Later, the claim is stale and its email was never handed to the server: retried.
        with time_machine.travel(timezone.now() + dt.timedelta(minutes=11), tick=False):
            process_statement_run(run_id=run.pk)

    assert Counter(sink.recipients()) == {f"c{n}@example.com": 1 for n in range(6)}
    stuck.refresh_from_db()
    assert (stuck.status, stuck.attempts) == (ItemStatus.SENT, 2)
    run.refresh_from_db()
    assert run.status == RunStatus.FINISHED
