"""Re-derive every figure of the ledger from its history and list what does not match.

Used by `manage.py ledger_check`, by the test suite after every step of the stateful tests, and
by benchmarks after a run. Each invariant is one function, one aggregate query over the scope
(a shop, or every shop), that yields a line per problem; `check_ledger` runs them in turn, so it
stays usable on large ledgers.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import DatabaseError
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, Window
from django.db.models.functions import Coalesce

from ardoise.core.money import MAX_AMOUNT, MAX_BALANCE
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
    Reservation,
    ReservationStatus,
    within_bounds,
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
    scope = Q(shop_id=shop_id) if shop_id is not None else Q()
    report = Report()
    report.counts = {
        "entries": JournalEntry.objects.filter(scope).count(),
        "postings": Posting.objects.filter(scope).count(),
        "accounts": Account.objects.filter(scope).count(),
    }
    for invariant in INVARIANTS:
        try:
            report.problems.extend(invariant(scope))
        except (DatabaseError, ArithmeticError, TypeError, ValueError) as error:
            # A corrupt row (a value no constraint let in, restored from elsewhere) is a
            # finding, not a crash: the other invariants still run.
            name = invariant.__name__.replace("_", " ")
            report.problems.append(f"could not check {name}: {type(error).__name__}: {error}")
    return report


# Every stored amount, whole and within the bounds of core/money.py (the CHECK constraints of
# ledger/models.py say the same; this finds rows that got in some other way).
BOUNDED: tuple[tuple[type[Any], str, int, bool], ...] = (
    (Account, "debt", MAX_BALANCE, False),
    (Account, "deposit", MAX_BALANCE, False),
    (Account, "balance", MAX_BALANCE, True),
    (Account, "reserved", MAX_BALANCE, False),
    (Reservation, "amount", MAX_AMOUNT, False),
    (Posting, "amount", MAX_AMOUNT, True),
    (Posting, "balance_after", MAX_BALANCE, True),
    (Charge, "total", MAX_AMOUNT, False),
    (Charge, "open_amount", MAX_AMOUNT, False),
    (Credit, "amount", MAX_AMOUNT, False),
    (Credit, "unapplied_amount", MAX_AMOUNT, False),
    (Allocation, "amount", MAX_AMOUNT, True),
)


def stored_amounts_in_bounds(scope: Q) -> Iterator[str]:
    """Every stored amount is a whole number of minor units within its bound."""
    for model, name, bound, signed in BOUNDED:
        rows = model.objects.filter(scope).exclude(**{f"{name}__isnull": True})
        for pk in rows.exclude(within_bounds(name, bound, signed=signed)).values_list(
            "pk", flat=True
        ):
            yield (
                f"{model._meta.verbose_name} {pk}: {name} is not a whole number of minor units "
                f"within {'±' if signed else ''}{bound}"
            )


def balanced_entries(scope: Q) -> Iterator[str]:
    """Every journal entry has at least two postings and they sum to zero."""
    for row in (
        JournalEntry.objects.filter(scope)
        .annotate(total=Coalesce(Sum("postings__amount"), Value(0)), lines=Count("postings"))
        .filter(~Q(total=0) | Q(lines__lt=2))
        .values("pk", "total", "lines")
    ):
        yield f"journal entry {row['pk']}: {row['lines']} postings summing to {row['total']}"


def account_figures(scope: Q) -> Iterator[str]:
    """An account's cached balance is the sum of its postings, its Debt the open amounts of its
    charges, its Deposit the unapplied amounts of its credits, and Balance = Deposit - Debt."""
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
        yield (
            f"account {row['pk']}: balance {row['balance']} vs postings {row['posted']}, "
            f"debt {row['debt']} vs open charges {row['open_total']}, "
            f"deposit {row['deposit']} vs unapplied credits {row['unapplied_total']}"
        )


def charge_open_amounts(scope: Q) -> Iterator[str]:
    """A charge's open amount is its total less what is allocated to it (zero once void)."""
    for row in (
        Charge.objects.filter(scope)
        .annotate(allocated=_sum(Allocation.objects.all(), "charge"))
        .filter(
            (~Q(status=ChargeStatus.VOID) & ~Q(open_amount=F("total") - F("allocated")))
            | (Q(status=ChargeStatus.VOID) & (~Q(open_amount=0) | ~Q(allocated=0)))
            | Q(open_amount__lt=0)
            | Q(allocated__lt=0)
        )
        .values("pk", "total", "open_amount", "allocated", "status")
    ):
        yield (
            f"charge {row['pk']} ({row['status']}): total {row['total']}, "
            f"open {row['open_amount']}, allocated {row['allocated']}"
        )


def credit_unapplied_amounts(scope: Q) -> Iterator[str]:
    """A credit's unapplied amount is its amount less what it allocated (zero once void)."""
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
        yield (
            f"credit {row['pk']} ({row['status']}): amount {row['amount']}, "
            f"unapplied {row['unapplied_amount']}, allocated {row['allocated']}"
        )


def allocation_pairs(scope: Q) -> Iterator[str]:
    """A credit never releases from a charge more than it allocated to it."""
    for row in (
        Allocation.objects.filter(scope)
        .values("credit_id", "charge_id")
        .annotate(net=Sum("amount"))
        .filter(net__lt=0)
    ):
        yield (
            f"credit {row['credit_id']} unallocated {-row['net']} more than it allocated to "
            f"charge {row['charge_id']}"
        )


def running_balances(scope: Q) -> Iterator[str]:
    """Each customer posting keeps the balance after it: the running sum of the account's
    postings in the order they were written (every service writes them while holding the
    account row). A lost update or a check-then-act race shows here even when the final balance
    adds up."""
    for row in (
        Posting.objects.filter(scope, account__isnull=False)
        .annotate(
            running=Window(Sum("amount"), partition_by=[F("account_id")], order_by=F("id").asc())
        )
        .filter(~Q(balance_after=F("running")))
        .values("pk", "entry_id", "account_id", "balance_after", "running")
        .order_by("pk")
    ):
        yield (
            f"posting {row['pk']} (entry {row['entry_id']}) on account {row['account_id']} "
            f"says the balance after it is {row['balance_after']}, the postings up to it sum "
            f"to {row['running']}"
        )


def allocations_within_one_account(scope: Q) -> Iterator[str]:
    """An allocation only links a credit and a charge of one account."""
    for link in (
        Allocation.objects.filter(scope)
        .exclude(credit__account_id=F("charge__account_id"))
        .values("pk", "credit_id", "credit__account_id", "charge_id", "charge__account_id")
    ):
        yield (
            f"allocation {link['pk']} links credit {link['credit_id']} of account "
            f"{link['credit__account_id']} to charge {link['charge_id']} of account "
            f"{link['charge__account_id']}"
        )


def credit_limits(scope: Q) -> Iterator[str]:
    """No posting took an account beyond its limit, but a reversal or with an override."""
    for breach in (
        Posting.objects.filter(
            scope, account__isnull=False, amount__lt=0, credit_limit__isnull=False
        )
        .filter(balance_after__lt=-F("credit_limit"))
        .exclude(entry__kind=EntryKind.REVERSAL)
        .filter(entry__limit_override_by__isnull=True)
        .values("pk", "entry_id", "account_id", "balance_after", "credit_limit")
    ):
        yield (
            f"posting {breach['pk']} (entry {breach['entry_id']}) took account "
            f"{breach['account_id']} to {breach['balance_after']}, beyond its limit "
            f"{breach['credit_limit']}, without an override"
        )


def reversals_point_at_their_entry(scope: Q) -> Iterator[str]:
    """A reversal points at the entry it reverses."""
    orphans = JournalEntry.objects.filter(scope, kind=EntryKind.REVERSAL, reverses__isnull=True)
    for orphan in orphans.values("pk"):
        yield f"reversal {orphan['pk']} does not point at the entry it reverses"


def reservations_add_up(scope: Q) -> Iterator[str]:
    """An account's `reserved` is the sum of its held reservations, and never below zero."""
    held = Reservation.objects.filter(status=ReservationStatus.HELD)
    for row in (
        Account.objects.filter(scope)
        .annotate(held=_sum(held, "account"))
        .filter(~Q(reserved=F("held")) | Q(reserved__lt=0))
        .values("pk", "reserved", "held")
    ):
        yield (
            f"account {row['pk']}: reserved {row['reserved']} vs held reservations {row['held']}"
        )


def reservations_not_left_on_a_charge(scope: Q) -> Iterator[str]:
    """A held reservation's order is not delivered: no charge of its account carries its
    reference as earmark (delivery consumes the reservation in the charge's transaction)."""
    charged = Charge.objects.filter(account=OuterRef("account"), earmark=OuterRef("reference"))
    for row in (
        Reservation.objects.filter(scope, status=ReservationStatus.HELD)
        .filter(Exists(charged))
        .values("pk", "reference", "account_id")
    ):
        yield (
            f"reservation {row['pk']} ({row['reference']}) is still held on account "
            f"{row['account_id']}, whose charge for it is posted"
        )


# In the order `check_ledger` reports them.
INVARIANTS: tuple[Callable[[Q], Iterator[str]], ...] = (
    stored_amounts_in_bounds,
    balanced_entries,
    account_figures,
    charge_open_amounts,
    credit_unapplied_amounts,
    allocation_pairs,
    running_balances,
    allocations_within_one_account,
    credit_limits,
    reversals_point_at_their_entry,
    reservations_add_up,
    reservations_not_left_on_a_charge,
)
