"""Shared helpers of the ledger tests: the "nothing was written" snapshot and short builders.

`ledger_snapshot()` reads every row a ledger service may write (journal, postings, documents,
allocations, idempotency records, audit events) and every mutable figure (an account's cached
balance, Debt, Deposit, version and limit; a charge's open and credited amounts and status; a
credit's unapplied amount and status). A refused call must leave it identical: that is how the
tests prove DESIGN.md rule 2 ("nothing half-posted can exist").
"""

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db.models import Sum

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    Credit,
    IdempotencyRecord,
    JournalEntry,
    Posting,
)
from tests.factories import key

ROW_MODELS = (
    Account,
    JournalEntry,
    Posting,
    Charge,
    Credit,
    Allocation,
    IdempotencyRecord,
    AuditEvent,
)


@dataclass(frozen=True)
class LedgerSnapshot:
    rows: dict[str, int]
    accounts: dict[int, tuple[Any, ...]]
    charges: dict[int, tuple[Any, ...]]
    credits: dict[int, tuple[Any, ...]]


def ledger_snapshot() -> LedgerSnapshot:
    """Row counts of every ledger table and every figure a service may change."""
    return LedgerSnapshot(
        rows={model._meta.db_table: model.objects.count() for model in ROW_MODELS},
        accounts={
            row[0]: row[1:]
            for row in Account.objects.values_list(
                "pk", "balance", "debt", "deposit", "version", "credit_limit"
            )
        },
        charges={
            row[0]: row[1:]
            for row in Charge.objects.values_list(
                "pk", "open_amount", "credited_amount", "credited_vat_amount", "status"
            )
        },
        credits={
            row[0]: row[1:]
            for row in Credit.objects.values_list("pk", "unapplied_amount", "status")
        },
    )


@contextmanager
def nothing_written() -> Iterator[LedgerSnapshot]:
    """Assert that the block leaves the ledger exactly as it was.

    Put `pytest.raises` inside it: `with nothing_written(), pytest.raises(SomeRefusal): ...`.
    """
    before = ledger_snapshot()
    yield before
    after = ledger_snapshot()
    assert after == before


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
