"""A process of the SQLite multi-process race (see test_races_sqlite.py); not a test module.

Run as `python -m tests.ledger.sqlite_worker COMMAND ARGS` with DATABASE_URL=sqlite:///FILE. Each
command prints one JSON object on stdout:

- `setup`: a shop, an account with a 100 € limit holding a 20 € top-up, an account with no limit;
- `work LIMITED OPEN READY_DIR PROCESSES ATTEMPTS SHARED_KEY`: once Django is loaded, mark
  itself ready in READY_DIR and wait until all PROCESSES are (a barrier across processes), then
  try ATTEMPTS charges of 7 € on LIMITED and retry one charge of 3 € on OPEN with SHARED_KEY;
- `state ACCOUNT...`: each account's cached balance, the sum of its postings and its charges.
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
    from django.db import OperationalError
    from django.db.models import Sum

    from ardoise.ledger import services as ledger
    from ardoise.ledger.errors import CreditLimitExceeded
    from ardoise.ledger.models import Account, Charge, Posting
    from tests.factories import key, make_account, make_shop

    if command == "setup":
        shop = make_shop()
        limited = make_account(shop, credit_limit=100_00)
        ledger.record_top_up(
            account=limited, amount=20_00, mode="transfer", idempotency_key=key(), actor=None
        )
        unlimited = make_account(shop)
        return {"limited": limited.pk, "open": unlimited.pk}

    if command == "work":
        limited = Account.objects.get(pk=int(args[0]))
        unlimited = Account.objects.get(pk=int(args[1]))
        ready, processes, attempts, shared = Path(args[2]), int(args[3]), int(args[4]), args[5]
        (ready / str(os.getpid())).touch()
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < processes and time.monotonic() < deadline:
            time.sleep(0.005)
        result: dict[str, Any] = {"admitted": 0, "refused": 0, "errors": [], "shared": None}
        for _ in range(attempts):
            try:
                ledger.post_charge(account=limited, total=7_00, idempotency_key=key(), actor=None)
                result["admitted"] += 1
            except CreditLimitExceeded:
                result["refused"] += 1
            except OperationalError as error:  # "database is locked" would land here
                result["errors"].append(str(error))
        try:
            retried = ledger.post_charge(
                account=unlimited, total=3_00, idempotency_key=shared, actor=None
            )
            result["shared"] = retried.pk
        except OperationalError as error:
            result["errors"].append(str(error))
        return result

    if command == "state":
        state = {}
        for account in Account.objects.filter(pk__in=[int(pk) for pk in args]):
            postings = Posting.objects.filter(account=account)
            state[str(account.pk)] = {
                "balance": account.balance,
                "posted": postings.aggregate(total=Sum("amount"))["total"] or 0,
                "charges": Charge.objects.filter(account=account).count(),
            }
        return state

    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:])))
