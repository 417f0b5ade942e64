"""Bulk runs say "interrupted" only when they really stopped; a second run within 24 hours skips
the customers just sent one; a statement whose content has not changed keeps its number."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.customers.models import Customer
from ardoise.ledger import services as ledger
from ardoise.statements import delivery
from ardoise.statements.delivery import process_statement_run
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import (
    ItemStatus,
    RunState,
    RunStatus,
    Statement,
    StatementCounter,
    StatementRun,
    StatementRunItem,
)
from ardoise.statements.selectors import SKIP_RECENT
from ardoise.statements.services import queue_statement_email, start_statement_run
from tests.factories import PASSWORD, key, make_shop, owner_of
from tests.statements.support import account_with_charges, smtp_server

pytestmark = pytest.mark.django_db


def _owner(shop) -> Client:  # type: ignore[no-untyped-def]
    user = owner_of(shop)
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.login(email=user.email, password=PASSWORD)
    return client


def _debtors(shop, count, start=0):  # type: ignore[no-untyped-def]
    return [
        account_with_charges(shop, [10_00 + n], email_address=f"c{n}@example.com")[0]
        for n in range(start, start + count)
    ]


def _claimed_by_a_live_worker(run: StatementRun) -> StatementRunItem:
    """What a worker does when it takes a run and starts on its first customer."""
    now = timezone.now()
    StatementRun.objects.filter(pk=run.pk).update(
        status=RunStatus.RUNNING, started_at=now, heartbeat_at=now
    )
    item = StatementRunItem.objects.filter(run=run).order_by("id").first()
    assert item is not None
    StatementRunItem.objects.filter(pk=item.pk).update(
        status=ItemStatus.SENDING, claimed_at=now, attempts=1
    )
    run.refresh_from_db()
    return item


# --- In progress or interrupted ---


def test_a_queued_run_reads_in_progress() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    with time_machine.travel(timezone.now() + dt.timedelta(hours=2), tick=False):
        assert run.state() == RunState.IN_PROGRESS
        page = _owner(shop).get(reverse("staff:statement_run_detail", args=[run.pk]))

    html = page.content.decode()
    assert 'data-state="in_progress"' in html
    assert ">In progress<" in html
    assert "Interrupted" not in html
    assert "Waiting for the background worker to start." in html


def test_a_run_a_worker_is_sending_reads_in_progress_not_interrupted() -> None:
    shop = make_shop()
    _debtors(shop, 3)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    _claimed_by_a_live_worker(run)

    page = _owner(shop).get(reverse("staff:statement_run_detail", args=[run.pk]))

    html = page.content.decode()
    assert run.state() == RunState.IN_PROGRESS
    assert ">In progress<" in html
    assert "Being sent now." in html
    assert "Interrupted" not in html
    assert "To look at" not in html  # the customer being sent is not a problem
    assert "Run again" not in html
    assert 'hx-trigger="every 2s"' in html


def test_a_run_whose_worker_stopped_reads_interrupted_after_ten_minutes() -> None:
    shop = make_shop()
    _debtors(shop, 3)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    item = _claimed_by_a_live_worker(run)

    with time_machine.travel(timezone.now() + dt.timedelta(minutes=9), tick=False):
        assert run.state() == RunState.IN_PROGRESS
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=11), tick=False):
        assert run.state() == RunState.INTERRUPTED
        page = _owner(shop).get(reverse("staff:statement_run_detail", args=[run.pk]))
        runs = _owner(shop).get(reverse("staff:statement_runs"))

    html = page.content.decode()
    assert 'data-state="interrupted"' in html
    assert ">Interrupted<" in html
    assert "Run again for the customers not sent" in html
    assert "Interrupted while sending: check the send log before sending again." in html
    assert item.account.customer.display_name in html
    assert 'hx-trigger="every 2s"' not in html
    assert 'data-state="interrupted">Interrupted<' in runs.content.decode()


def test_the_worker_beats_after_each_customer_so_a_long_run_stays_in_progress(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shop = make_shop()
    _debtors(shop, 4)
    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
    real = delivery.deliver_statement_send
    seen: list[str] = []

    with time_machine.travel(timezone.now(), tick=False) as traveller, smtp_server():

        def slow_send(*, send_id: int):  # type: ignore[no-untyped-def]
            traveller.shift(dt.timedelta(minutes=6))  # each email takes 6 minutes
            seen.append(StatementRun.objects.get(pk=run.pk).state())
            return real(send_id=send_id)

        monkeypatch.setattr(delivery, "deliver_statement_send", slow_send)
        process_statement_run(run_id=run.pk)

    # 24 minutes in all, never 10 without a sign of life.
    assert seen == [RunState.IN_PROGRESS] * 4
    run.refresh_from_db()
    assert run.state() == RunState.FINISHED


# --- A second run within 24 hours ---


def test_running_again_within_24_hours_skips_the_customers_just_sent_one() -> None:
    shop = make_shop()
    sent = _debtors(shop, 2)
    with smtp_server() as sink:
        first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
        process_statement_run(run_id=first.pk)
        new = _debtors(shop, 1, start=5)[0]

        with time_machine.travel(timezone.now() + dt.timedelta(hours=23), tick=False):
            again = start_statement_run(
                shop=shop, minimum_debt=1, actor=None, idempotency_key=key()
            )
            process_statement_run(run_id=again.pk)

    items = {item.account_id: item for item in StatementRunItem.objects.filter(run=again)}
    assert {pk: (item.status, item.reason) for pk, item in items.items()} == {
        sent[0].pk: (ItemStatus.SKIPPED, SKIP_RECENT),
        sent[1].pk: (ItemStatus.SKIPPED, SKIP_RECENT),
        new.pk: (ItemStatus.SENT, ""),
    }
    assert sorted(sink.recipients()) == ["c0@example.com", "c1@example.com", "c5@example.com"]


def test_a_statement_sent_alone_today_also_counts_as_just_sent() -> None:
    shop = make_shop()
    account = _debtors(shop, 1)[0]
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    queue_statement_email(
        statement=statement, email="c0@example.com", actor=None, idempotency_key=key()
    )

    run = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    item = StatementRunItem.objects.get(run=run)
    assert (item.status, item.reason) == (ItemStatus.SKIPPED, SKIP_RECENT)


def test_a_customer_still_waiting_in_a_run_of_today_is_skipped_by_a_second_run() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    second = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    assert StatementRunItem.objects.filter(run=first, status=ItemStatus.PENDING).count() == 2
    assert set(StatementRunItem.objects.filter(run=second).values_list("status", flat=True)) == {
        ItemStatus.SKIPPED
    }


def test_include_recent_sends_them_anyway() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    with smtp_server() as sink:
        first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
        process_statement_run(run_id=first.pk)
        again = start_statement_run(
            shop=shop, minimum_debt=1, actor=None, idempotency_key=key(), include_recent=True
        )
        process_statement_run(run_id=again.pk)

    assert len(sink.messages) == 4
    assert StatementRunItem.objects.filter(run=again, status=ItemStatus.SENT).count() == 2


def test_after_24_hours_nobody_is_skipped() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    with smtp_server():
        first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
        process_statement_run(run_id=first.pk)

    with time_machine.travel(timezone.now() + dt.timedelta(hours=25), tick=False):
        again = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())

    statuses = set(StatementRunItem.objects.filter(run=again).values_list("status", flat=True))
    assert statuses == {ItemStatus.PENDING}


def test_the_runs_page_warns_of_a_run_started_recently_and_offers_to_include_them() -> None:
    shop = make_shop()
    _debtors(shop, 2)
    client = _owner(shop)
    assert 'id="recent-run"' not in client.get(reverse("staff:statement_runs")).content.decode()
    with smtp_server():
        first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
        process_statement_run(run_id=first.pk)

    html = client.get(reverse("staff:statement_runs")).content.decode()

    assert 'id="recent-run"' in html
    assert "A run was already started on" in html
    assert "less than 24 hours ago." in html
    assert "2 customers who owe money were sent a statement in the last 24 hours" in html
    assert 'name="include_recent"' in html
    assert "checked" not in html.split('name="include_recent"')[1][:40]


def test_the_checkbox_includes_them_from_the_page(
    django_capture_on_commit_callbacks: object,
) -> None:
    shop = make_shop()
    _debtors(shop, 2)
    client = _owner(shop)
    with smtp_server():
        first = start_statement_run(shop=shop, minimum_debt=1, actor=None, idempotency_key=key())
        process_statement_run(run_id=first.pk)

    client.post(reverse("staff:statement_runs"), {"minimum_debt": "1", "idempotency_key": key()})
    client.post(
        reverse("staff:statement_runs"),
        {"minimum_debt": "1", "idempotency_key": key(), "include_recent": "on"},
    )

    skipped, included = StatementRun.objects.filter(shop=shop).order_by("id")[1:]
    assert set(skipped.items.values_list("status", flat=True)) == {ItemStatus.SKIPPED}
    assert set(included.items.values_list("status", flat=True)) == {ItemStatus.PENDING}
    detail = client.get(reverse("staff:statement_run_detail", args=[skipped.pk]))
    assert "Was sent a statement in the last 24 hours." in detail.content.decode()


# --- Statement numbers ---


def _counter(shop) -> int:  # type: ignore[no-untyped-def]
    return StatementCounter.objects.get(shop=shop).last_number


def test_printing_an_unchanged_statement_again_reuses_its_number() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [40_00, 12_50])
    first = issue_statement(account=account, actor=None, idempotency_key=key())

    again = issue_statement(account=account, actor=None, idempotency_key=key())

    assert (again.pk, again.number) == (first.pk, 1)
    assert Statement.objects.filter(shop=shop).count() == 1
    assert _counter(shop) == 1


def test_a_statement_whose_content_changed_gets_the_next_number() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [40_00])
    first = issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.record_payment(
        account=account, amount=15_00, mode="cash", idempotency_key=key(), actor=None
    )
    paid_part = issue_statement(account=account, actor=None, idempotency_key=key())
    Customer.objects.filter(pk=account.customer_id).update(address="3 rue Neuve")
    moved = issue_statement(account=account, actor=None, idempotency_key=key())

    assert [first.number, paid_part.number, moved.number] == [1, 2, 3]
    assert moved.customer_address.splitlines()[1] == "3 rue Neuve"


def test_an_older_statement_with_the_same_content_is_not_reused() -> None:
    """Only the last statement counts: back to an earlier figure is a new statement."""
    shop = make_shop()
    account, _ = account_with_charges(shop, [40_00])
    issue_statement(account=account, actor=None, idempotency_key=key())
    charge = ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    issue_statement(account=account, actor=None, idempotency_key=key())
    ledger.reverse_entry(
        entry=charge.entry, reason="Keyed twice", idempotency_key=key(), actor=None
    )

    third = issue_statement(account=account, actor=None, idempotency_key=key())

    assert third.number == 3


def test_print_from_the_preview_twice_shows_the_same_statement() -> None:
    shop = make_shop()
    account, _ = account_with_charges(shop, [40_00])
    client = _owner(shop)
    url = reverse("staff:statement_preview", args=[account.customer_id])

    first = client.post(url, {"action": "print", "email": "", "idempotency_key": key()})
    second = client.post(url, {"action": "pdf", "email": "", "idempotency_key": key()})

    statement = Statement.objects.get(shop=shop)
    assert first["Location"] == reverse("staff:statement_print", args=[statement.pk])
    assert second["Location"] == reverse("staff:statement_pdf", args=[statement.pk])
    assert statement.number == 1
