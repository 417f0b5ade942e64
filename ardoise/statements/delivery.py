"""The worker's side of statements: email one queued send, work through a bulk run.

Run by `statements.tasks` (outside any transaction: it talks to the SMTP server and renders
PDFs). Each step takes ids, re-reads state and claims its work with a conditional UPDATE, so
running it twice is harmless.
"""

import logging

from django.db.models import F
from django.utils import timezone

from ardoise.ledger.models import Account
from ardoise.statements.emails import build_statement_email
from ardoise.statements.issuing import issue_statement, record_send
from ardoise.statements.models import (
    STALE_AFTER,
    ItemStatus,
    RunStatus,
    SendStatus,
    StatementRun,
    StatementRunItem,
    StatementSend,
)
from ardoise.statements.selectors import SKIP_NO_EMAIL, SKIP_OWES_NOTHING

logger = logging.getLogger(__name__)

# A bulk item left "sending" by a worker that died before its email was handed to the SMTP
# server may be claimed again after this long; one whose email was being sent is never retried
# automatically (it may have gone out): the run page lists it for a person to check. The same
# delay makes a run whose worker has stopped read "interrupted" (`StatementRun.state`).
STALE_CLAIM = STALE_AFTER


def deliver_statement_send(*, send_id: int) -> StatementSend:
    """Send one queued email (the task's work). Claims it queued -> sending first, so a second
    run of the task sends nothing; records sent, or failed with the reason."""
    claimed = StatementSend.objects.filter(pk=send_id, status=SendStatus.QUEUED).update(
        status=SendStatus.SENDING
    )
    send = StatementSend.objects.select_related("statement", "statement__shop").get(pk=send_id)
    if not claimed:
        return send
    with_link = False
    try:
        message, with_link = build_statement_email(send)
        message.send()
    except Exception as error:  # any failure (SMTP, rendering) is logged on the send, with why
        logger.warning("statement send %s failed: %s", send.pk, error)
        status, reason = SendStatus.FAILED, f"{type(error).__name__}: {error}"[:1000]
    else:
        status, reason = SendStatus.SENT, ""
    StatementSend.objects.filter(pk=send.pk, status=SendStatus.SENDING).update(
        status=status, reason=reason, finished_at=timezone.now(), with_payment_link=with_link
    )
    send.refresh_from_db()
    return send


def _claim_item(item_id: int) -> bool:
    now = timezone.now()
    claim = {"status": ItemStatus.SENDING, "attempts": F("attempts") + 1, "claimed_at": now}
    items = StatementRunItem.objects.filter(pk=item_id)
    if items.filter(status__in=[ItemStatus.PENDING, ItemStatus.FAILED]).update(**claim):
        return True
    stale = (
        items.filter(status=ItemStatus.SENDING, claimed_at__lt=now - STALE_CLAIM)
        .select_related("send")
        .first()
    )
    if stale is None or (stale.send is not None and stale.send.status != SendStatus.QUEUED):
        return False
    # Compare-and-swap on the claim time: of two workers reclaiming it, one wins.
    return bool(
        items.filter(status=ItemStatus.SENDING, claimed_at=stale.claimed_at).update(**claim)
    )


def _finish_item(item: StatementRunItem, status: str, reason: str = "") -> None:
    item.status, item.reason = status, reason
    item.save(update_fields=["status", "reason", "statement", "send"])


def _process_item(run: StatementRun, item_id: int) -> None:
    if not _claim_item(item_id):
        return
    item = StatementRunItem.objects.select_related("account__customer").get(pk=item_id)
    try:
        customer = item.account.customer
        if not customer.email:
            _finish_item(item, ItemStatus.SKIPPED, SKIP_NO_EMAIL)
            return
        statement = item.statement
        if statement is None:
            account = Account.objects.get(pk=item.account_id)
            if account.balance >= 0:
                _finish_item(item, ItemStatus.SKIPPED, SKIP_OWES_NOTHING)
                return
            statement = item.statement = issue_statement(
                account=account,
                actor=run.created_by,
                idempotency_key=f"run:{run.pk}:account:{account.pk}",
            )
        send = item.send
        if send is None or send.status == SendStatus.FAILED:
            send, _ = record_send(
                statement=statement,
                email=customer.email,
                actor=run.created_by,
                idempotency_key=f"run:{run.pk}:item:{item.pk}:{item.attempts}",
            )
            item.send = send
        item.save(update_fields=["statement", "send"])
        send = deliver_statement_send(send_id=send.pk)
    except Exception as error:  # one customer's failure must not stop the run
        logger.exception("statement run %s item %s failed", run.pk, item_id)
        _finish_item(item, ItemStatus.FAILED, f"{type(error).__name__}: {error}"[:1000])
        return
    if send.status == SendStatus.SENT:
        _finish_item(item, ItemStatus.SENT)
    else:
        _finish_item(item, ItemStatus.FAILED, send.reason or send.status)


def _heartbeat(run_id: int) -> None:
    """The worker is alive and on this run: the run page reads "in progress", not "interrupted"."""
    StatementRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )


def process_statement_run(*, run_id: int) -> StatementRun:
    """The bulk task's work: each waiting or failed customer once, then the run is finished.

    Safe to run twice, even at once: each item is claimed by a conditional UPDATE before its
    statement is issued and emailed, so no customer gets two statements from one run.
    """
    StatementRun.objects.filter(pk=run_id, started_at__isnull=True).update(
        started_at=timezone.now()
    )
    StatementRun.objects.filter(pk=run_id).exclude(status=RunStatus.FINISHED).update(
        status=RunStatus.RUNNING, heartbeat_at=timezone.now()
    )
    run = StatementRun.objects.select_related("created_by").get(pk=run_id)
    candidates = list(
        StatementRunItem.objects.filter(run_id=run_id)
        .exclude(status__in=[ItemStatus.SENT, ItemStatus.SKIPPED])
        .order_by("id")
        .values_list("id", flat=True)
    )
    for item_id in candidates:
        _process_item(run, item_id)
        _heartbeat(run_id)
    busy = StatementRunItem.objects.filter(
        run_id=run_id, status__in=[ItemStatus.PENDING, ItemStatus.SENDING]
    ).exists()
    if not busy:
        StatementRun.objects.filter(pk=run_id).update(
            status=RunStatus.FINISHED, finished_at=timezone.now()
        )
    run.refresh_from_db()
    return run
