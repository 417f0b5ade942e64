"""Issuing a statement: a numbered snapshot of open charges and unapplied credits."""

import datetime as dt

import pytest
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from ardoise.ledger import services as ledger
from ardoise.statements.errors import InvalidEmail
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import LineKind, SendStatus, Statement, StatementSend
from ardoise.statements.services import queue_statement_email
from tests.factories import key, make_shop
from tests.statements.support import account_with_charges

pytestmark = pytest.mark.django_db


def test_statement_copies_open_charges_and_unapplied_credits_with_totals() -> None:
    shop = make_shop(auto_allocate=False)
    account, _ = account_with_charges(shop, [100_00, 250_50])
    ledger.record_top_up(
        account=account,
        amount=30_00,
        mode="cash",
        idempotency_key=key(),
        actor=None,
        reference="DEP-1",
    )

    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    lines = list(statement.lines.order_by("position"))
    assert [(line.kind, line.reference, line.open_amount) for line in lines] == [
        (LineKind.CHARGE, "INV-0001", 100_00),
        (LineKind.CHARGE, "INV-0002", 250_50),
        (LineKind.CREDIT, "DEP-1", 30_00),
    ]
    assert (lines[0].issued_on, lines[0].due_on) == (dt.date(2025, 1, 2), dt.date(2025, 2, 1))
    assert (statement.number, statement.total_charges, statement.total_credits) == (
        1,
        350_50,
        30_00,
    )
    assert (statement.balance, statement.amount_due) == (-320_50, 320_50)
    assert statement.customer_name == account.customer.name


def test_numbers_are_consecutive_per_shop_and_a_key_issues_once() -> None:
    shop, other_shop = make_shop(), make_shop()
    account, _ = account_with_charges(shop, [10_00])
    other, _ = account_with_charges(other_shop, [10_00])
    same = key()

    first = issue_statement(account=account, actor=None, idempotency_key=same)
    replay = issue_statement(account=account, actor=None, idempotency_key=same)
    ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    second = issue_statement(account=account, actor=None, idempotency_key=key())
    elsewhere = issue_statement(account=other, actor=None, idempotency_key=key())

    assert (first.pk, first.number, second.number, elsewhere.number) == (replay.pk, 1, 2, 1)
    assert Statement.objects.filter(shop=shop).count() == 2


def test_an_earlier_snapshot_stays_as_it_was_sent() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [40_00])
    before = issue_statement(account=account, actor=None, idempotency_key=key())

    ledger.record_payment(
        account=account, amount=15_00, mode="cash", idempotency_key=key(), actor=None
    )
    ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    after = issue_statement(account=account, actor=None, idempotency_key=key())

    before.refresh_from_db()
    assert [line.open_amount for line in before.lines.all()] == [40_00]
    assert before.amount_due == 40_00
    assert [line.open_amount for line in after.lines.order_by("position")] == [25_00, 5_00]
    assert after.amount_due == 30_00


def test_a_customer_in_credit_owes_nothing() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [])
    ledger.record_top_up(
        account=account, amount=20_00, mode="cash", idempotency_key=key(), actor=None
    )

    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    assert (statement.amount_due, statement.balance, statement.total_credits) == (0, 20_00, 20_00)


def test_sending_is_queued_after_commit_and_not_at_all_on_rollback(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:  # type: ignore[operator]
        send = queue_statement_email(
            statement=statement, email="a@example.com", actor=None, idempotency_key=key()
        )
        assert DBTaskResult.objects.count() == 0  # nothing before the commit
    assert len(callbacks) == 1
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"], task.status) == (
        "ardoise.statements.tasks.send_statement_task",
        [send.pk],
        "READY",
    )
    assert send.status == SendStatus.QUEUED

    class Abort(Exception):
        pass

    def queue_then_roll_back() -> None:
        with transaction.atomic():
            queue_statement_email(
                statement=statement, email="b@example.com", actor=None, idempotency_key=key()
            )
            raise Abort

    with pytest.raises(Abort):
        queue_then_roll_back()
    assert (DBTaskResult.objects.count(), StatementSend.objects.count()) == (1, 1)


def test_a_bad_address_is_refused_and_nothing_is_queued() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [10_00])
    statement = issue_statement(account=account, actor=None, idempotency_key=key())

    with pytest.raises(InvalidEmail):
        queue_statement_email(
            statement=statement, email="not-an-address", actor=None, idempotency_key=key()
        )

    assert (StatementSend.objects.count(), DBTaskResult.objects.count()) == (0, 0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_statements_issued_at_once_get_gap_free_unique_numbers() -> None:
    import threading

    from django.db import connections

    shop = make_shop()
    accounts = [account_with_charges(shop, [10_00 + n])[0] for n in range(8)]
    barrier = threading.Barrier(len(accounts))
    errors: list[BaseException] = []

    def issue(account) -> None:  # type: ignore[no-untyped-def]
        try:
            barrier.wait()
            issue_statement(account=account, actor=None, idempotency_key=key())
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=issue, args=(account,)) for account in accounts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    numbers = sorted(Statement.objects.filter(shop=shop).values_list("number", flat=True))
    assert numbers == list(range(1, 9))
