"""Short builders of the ledger tests. The "nothing was written" check is `tests.support`."""

import datetime as dt
from typing import Any

from django.db.models import Sum

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, Credit, Posting
from tests.factories import key


def posted_sum(account: Account) -> int:
    return Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0


def figures(account: Account) -> tuple[int, int, int]:
    """(balance, debt, deposit) as stored now."""
    account.refresh_from_db()
    return account.balance, account.debt, account.deposit


def charge(account: Account, total: int, *, day: int | None = None, **fields: Any) -> Charge:
    if day is not None:
        fields["issued_on"] = dt.date(2025, 1, day)
    fields.setdefault("idempotency_key", key())
    fields.setdefault("actor", None)
    return ledger.post_charge(account=account, total=total, **fields)


def pay(account: Account, amount: int, *, mode: str = "cash", **fields: Any) -> Credit:
    fields.setdefault("idempotency_key", key())
    fields.setdefault("actor", None)
    return ledger.record_payment(account=account, amount=amount, mode=mode, **fields)


def top_up(account: Account, amount: int, *, mode: str = "transfer", **fields: Any) -> Credit:
    fields.setdefault("idempotency_key", key())
    fields.setdefault("actor", None)
    return ledger.record_top_up(account=account, amount=amount, mode=mode, **fields)
