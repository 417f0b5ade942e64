"""Re-derive every figure of the ledger from its history and list what does not match.

Used by `manage.py ledger_check`, by the test suite after every step of the stateful tests, and
by benchmarks after a run. Each check is one aggregate query, so it stays usable on large ledgers.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce

from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    EntryKind,
    JournalEntry,
    Posting,
)


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        parts = ", ".join(f"{value} {name}" for name, value in self.counts.items())
        return f"ledger OK: {parts}" if self.ok else f"{len(self.problems)} problem(s): {parts}"


def _sum(queryset: QuerySet[Any], outer: str) -> Coalesce:
    total = queryset.filter(**{outer: OuterRef("pk")}).values(outer).annotate(s=Sum("amount"))
    return Coalesce(Subquery(total.values("s")[:1]), Value(0))


def check_ledger(shop_id: int | None = None) -> Report:
    report = Report()
    scope = Q(shop_id=shop_id) if shop_id is not None else Q()
    entries = JournalEntry.objects.filter(scope)
    report.counts = {
        "entries": entries.count(),
        "postings": Posting.objects.filter(scope).count(),
        "accounts": Account.objects.filter(scope).count(),
    }

    for row in (
        entries.annotate(total=Coalesce(Sum("postings__amount"), Value(0)), lines=Count("postings"))
        .filter(~Q(total=0) | Q(lines__lt=2))
        .values("pk", "total", "lines")
    ):
        report.problems.append(
            f"journal entry {row['pk']}: {row['lines']} postings summing to {row['total']}"
        )

    for row in (
        Account.objects.filter(scope)
        .annotate(
            posted=_sum(Posting.objects.all(), "account"),
            open_total=Coalesce(
                Subquery(
                    Charge.objects.filter(account=OuterRef("pk"))
                    .values("account")
                    .annotate(s=Sum("open_amount"))
                    .values("s")[:1]
                ),
                Value(0),
            ),
            unapplied_total=Coalesce(
                Subquery(
                    Credit.objects.filter(account=OuterRef("pk"))
                    .values("account")
                    .annotate(s=Sum("unapplied_amount"))
                    .values("s")[:1]
                ),
                Value(0),
            ),
        )
        .filter(
            ~Q(balance=F("posted"))
            | ~Q(debt=F("open_total"))
            | ~Q(deposit=F("unapplied_total"))
            | ~Q(balance=F("deposit") - F("debt"))
        )
        .values("pk", "balance", "posted", "debt", "open_total", "deposit", "unapplied_total")
    ):
        report.problems.append(
            f"account {row['pk']}: balance {row['balance']} vs postings {row['posted']}, "
            f"debt {row['debt']} vs open charges {row['open_total']}, "
            f"deposit {row['deposit']} vs unapplied credits {row['unapplied_total']}"
        )

    allocated_to_charge = _sum(Allocation.objects.all(), "charge")
    for row in (
        Charge.objects.filter(scope)
        .annotate(allocated=allocated_to_charge)
        .filter(
            (~Q(status=ChargeStatus.VOID) & ~Q(open_amount=F("total") - F("allocated")))
            | (Q(status=ChargeStatus.VOID) & (~Q(open_amount=0) | ~Q(allocated=0)))
            | Q(open_amount__lt=0)
            | Q(allocated__lt=0)
        )
        .values("pk", "total", "open_amount", "allocated", "status")
    ):
        report.problems.append(
            f"charge {row['pk']} ({row['status']}): total {row['total']}, "
            f"open {row['open_amount']}, allocated {row['allocated']}"
        )

    for row in (
        Credit.objects.filter(scope)
        .annotate(allocated=_sum(Allocation.objects.all(), "credit"))
        .filter(
            (~Q(status=CreditStatus.VOID) & ~Q(unapplied_amount=F("amount") - F("allocated")))
            | (Q(status=CreditStatus.VOID) & (~Q(unapplied_amount=0) | ~Q(allocated=0)))
            | Q(unapplied_amount__lt=0)
        )
        .values("pk", "amount", "unapplied_amount", "allocated", "status")
    ):
        report.problems.append(
            f"credit {row['pk']} ({row['status']}): amount {row['amount']}, "
            f"unapplied {row['unapplied_amount']}, allocated {row['allocated']}"
        )

    pair_totals: dict[tuple[int, int], int] = defaultdict(int)
    for row in (
        Allocation.objects.filter(scope)
        .values("credit_id", "charge_id")
        .annotate(net=Sum("amount"))
        .filter(net__lt=0)
    ):
        pair_totals[(row["credit_id"], row["charge_id"])] = row["net"]
    for (credit_id, charge_id), net in pair_totals.items():
        report.problems.append(
            f"credit {credit_id} unallocated {-net} more than it allocated to charge {charge_id}"
        )

    # Each customer posting keeps the balance after it: the running sum of the account's postings
    # in the order they were written (every service writes them while holding the account row).
    # A lost update or a check-then-act race shows here even when the final balance adds up.
    for row in (
        Posting.objects.filter(scope, account__isnull=False)
        .annotate(
            running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("id").asc())
        )
        .filter(~Q(balance_after=F("running")))
        .values("pk", "entry_id", "account_id", "balance_after", "running")
        .order_by("pk")
    ):
        report.problems.append(
            f"posting {row['pk']} (entry {row['entry_id']}) on account {row['account_id']} "
            f"says the balance after it is {row['balance_after']}, the postings up to it sum "
            f"to {row['running']}"
        )

    # An allocation only links a credit and a charge of one account.
    for link in (
        Allocation.objects.filter(scope)
        .exclude(credit__account_id=F("charge__account_id"))
        .values("pk", "credit_id", "credit__account_id", "charge_id", "charge__account_id")
    ):
        report.problems.append(
            f"allocation {link['pk']} links credit {link['credit_id']} of account "
            f"{link['credit__account_id']} to charge {link['charge_id']} of account "
            f"{link['charge__account_id']}"
        )

    for breach in (
        Posting.objects.filter(
            scope, account__isnull=False, amount__lt=0, credit_limit__isnull=False
        )
        .filter(balance_after__lt=-F("credit_limit"))
        .exclude(entry__kind=EntryKind.REVERSAL)
        .filter(entry__limit_override_by__isnull=True)
        .values("pk", "entry_id", "account_id", "balance_after", "credit_limit")
    ):
        report.problems.append(
            f"posting {breach['pk']} (entry {breach['entry_id']}) took account "
            f"{breach['account_id']} to {breach['balance_after']}, beyond its limit "
            f"{breach['credit_limit']}, without an override"
        )

    for orphan in entries.filter(kind=EntryKind.REVERSAL, reverses__isnull=True).values("pk"):
        report.problems.append(f"reversal {orphan['pk']} does not point at the entry it reverses")
    return report
