from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from ardoise.shops.models import Shop
from ardoise.staff.demo import DEMO_EMAIL, DEMO_PASSWORD, build_demo


class Command(BaseCommand):
    help = "Load the demo shop (owner, ~40 customers, six months of history); print how to sign in."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing if a shop already exists."
        )
        parser.add_argument("--customers", type=int, default=40)

    def handle(self, *args: Any, if_empty: bool, customers: int, **options: Any) -> None:
        if not (if_empty and Shop.objects.exists()):
            self.stdout.write("Loading demo data (one shop, six months of history)...")
            result = build_demo(customers=customers)
            self.stdout.write(f"Demo shop {result.shop.name!r} with {result.customers} customers.")
        self.stdout.write(
            self.style.SUCCESS(
                f"\nArdoise: {settings.SITE_URL}/\n"
                f"Sign in as {DEMO_EMAIL} with the password {DEMO_PASSWORD}\n"
            )
        )
