"""A process that keeps writing to the ledger while a backup is taken (test_backups.py).

`python -m tests.core.backup_writer setup` prints the account id; `... write ACCOUNT FOLDER`
posts charges and payments, touches FOLDER/started once the first are committed, goes on until
FOLDER/stop exists (two minutes at most), and prints how many; `... totals` prints the figures a
restore must reproduce. The files, not a duration, keep the writer busy for the whole backup on
a machine however loaded.
"""

import json
import os
import sys
import time
from pathlib import Path
from typing import Any


def main(command: str, *args: str) -> dict[str, Any]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("ARDOISE_TESTING", "1")
    import django

    django.setup()
    from django.db.models import Count, Sum

    from ardoise.ledger import services as ledger
    from ardoise.ledger.models import Account, JournalEntry, Posting
    from tests.factories import key, make_account, make_shop

    if command == "setup":
        return {"account": make_account(make_shop()).pk}
    if command == "write":
        account = Account.objects.get(pk=int(args[0]))
        folder = Path(args[1])
        deadline, writes = time.monotonic() + 120, 0
        while time.monotonic() < deadline and not (folder / "stop").exists():
            ledger.post_charge(account=account, total=7_00, idempotency_key=key(), actor=None)
            ledger.record_payment(
                account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
            )
            writes += 2
            (folder / "started").touch()
        return {"writes": writes}
    if command == "totals":
        return {
            "balances": Account.objects.aggregate(total=Sum("balance"))["total"],
            "postings": Posting.objects.aggregate(count=Count("id"), total=Sum("amount")),
            "entries": JournalEntry.objects.count(),
        }
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
