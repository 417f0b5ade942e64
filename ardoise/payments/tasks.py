"""Background tasks of online payment (django-tasks, database backend; `manage.py db_worker`).

Each takes ids and re-reads; the work is in `handling`, `refunding` and `reconciliation`, which
record through the one path that makes running twice harmless. The webhook view and the refund
service enqueue these after their commit (`transaction.on_commit`).

`reconcile_payments_task` is periodic: each run enqueues the next one `RECONCILE_EVERY` later,
unless one is already waiting; `manage.py reconcile_payments --schedule` starts the chain (`make
run` does), and a cron line running `manage.py reconcile_payments` does the same work without it.
"""

import datetime as dt

from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from ardoise.payments import handling, reconciliation, refunding

RECONCILE_EVERY = dt.timedelta(minutes=5)


@task()
def handle_notification_task(event_id: int) -> str:
    """Handle one stored provider notification; returns its outcome."""
    return handling.handle_notification(event_id).outcome


@task()
def send_refund_task(refund_id: int) -> str:
    """Ask the provider for one refund; returns its status."""
    return str(refunding.send_refund(refund_id).status)


@task()
def reconcile_payments_task() -> str:
    """One reconciliation run, then the next one scheduled."""
    run = reconciliation.reconcile()
    schedule_reconciliation()
    return (
        f"{run.events_handled} events, {run.checkouts_asked} checkouts asked "
        f"({run.checkouts_ended} ended), {run.refunds_asked} refunds, "
        f"{run.unreachable} unreachable"
    )


def schedule_reconciliation() -> bool:
    """Enqueue the next periodic run unless one is already waiting; whether one was enqueued."""
    name = f"{reconcile_payments_task.module_path}"
    waiting = DBTaskResult.objects.filter(task_path=name, status="READY").exists()
    if waiting:
        return False
    reconcile_payments_task.using(run_after=timezone.now() + RECONCILE_EVERY).enqueue()
    return True
