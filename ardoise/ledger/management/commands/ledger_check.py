from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ardoise.ledger.checks import check_ledger


class Command(BaseCommand):
    help = "Re-sum the whole ledger and verify every invariant; exit 1 on any mismatch."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--shop", type=int, default=None, help="Only this shop id.")

    def handle(self, *args: Any, shop: int | None, **options: Any) -> None:
        report = check_ledger(shop)
        if report.ok:
            self.stdout.write(report.summary())
            return
        for problem in report.problems:
            self.stderr.write(f"- {problem}")
        raise CommandError(report.summary(), returncode=1)
