"""Ask the providers about every open checkout, notification and refund, and record what they say.

`manage.py reconcile_payments` runs one reconciliation now (from cron, every few minutes, if the
periodic task is not used); `--schedule` instead makes sure the periodic task is queued for the
worker (`make run` does this).
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ardoise.payments.reconciliation import reconcile
from ardoise.payments.tasks import schedule_reconciliation


class Command(BaseCommand):
    help = "Reconcile online payments with the providers (or --schedule the periodic task)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--schedule", action="store_true", help="queue the periodic task if none is queued"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["schedule"]:
            queued = schedule_reconciliation()
            self.stdout.write("Reconciliation scheduled." if queued else "Already scheduled.")
            return
        run = reconcile()
        self.stdout.write(
            f"{run.events_handled} notifications handled, {run.checkouts_asked} checkouts asked "
            f"({run.checkouts_ended} ended), {run.refunds_asked} refunds asked, "
            f"{run.unreachable} left for the next run."
        )
