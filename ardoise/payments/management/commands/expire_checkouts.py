from typing import Any

from django.core.management.base import BaseCommand

from ardoise.payments.orders import expire_checkouts


class Command(BaseCommand):
    help = (
        "Expire online order checkouts nobody paid in time and release what their orders hold "
        "on the customers' accounts (run it every few minutes, from cron)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        while expired := expire_checkouts():
            total += expired
        self.stdout.write(f"{total} checkout(s) expired")
