"""Re-encrypt every stored secret under the first of ENCRYPTION_KEYS (key rotation).

Put the new key first in ENCRYPTION_KEYS (keep the old one after it), run this, then remove the
old key. Each account is re-encrypted in its own transaction with its row locked; running it
again is harmless. A secret no key opens is reported and the command exits 1.
"""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from ardoise.core.encryption import SecretUnreadable
from ardoise.payments.accounts import rotate_account_secrets
from ardoise.payments.models import ProviderAccount


class Command(BaseCommand):
    help = "Re-encrypt the payment providers' stored secrets under the first ENCRYPTION_KEYS key."

    def handle(self, *args: Any, **options: Any) -> None:
        unreadable = []
        ids = list(ProviderAccount.objects.order_by("id").values_list("pk", flat=True))
        for account_id in ids:
            try:
                rotate_account_secrets(account_id=account_id)
            except SecretUnreadable:
                unreadable.append(account_id)
        self.stdout.write(f"{len(ids) - len(unreadable)} provider accounts re-encrypted.")
        if unreadable:
            raise CommandError(
                f"no key of ENCRYPTION_KEYS opens the secrets of accounts {unreadable}"
            )
