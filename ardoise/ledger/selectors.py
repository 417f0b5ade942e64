"""Reads of the ledger, scoped to a shop or to one account's charge or credit."""

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, Q, QuerySet, Sum
from django.utils import timezone

from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    Posting,
    Reservation,
    ReservationStatus,
)


def accounts_for_shop(shop_id: int) -> QuerySet[Account]:
    return Account.objects.filter(shop_id=shop_id).select_related("customer")


def account_for_customer(shop_id: int, customer_id: int) -> Account | None:
    return Account.objects.filter(shop_id=shop_id, customer_id=customer_id).first()


@dataclass(frozen=True)
class Overview:
    """The figures of the Account tab. Balance = Deposit - Debt, always."""

    balance: int
    debt: int
    deposit: int
    credit_limit: int | None
    used_credit: int
    available_credit: int | None
    is_over_limit: bool
    reserved: int  # held for online orders and checkouts: not spent, not spendable elsewhere


def overview(account: Account) -> Overview:
    return Overview(
        balance=account.balance,
        debt=account.debt,
        deposit=account.deposit,
        credit_limit=account.credit_limit,
        used_credit=account.used_credit,
        available_credit=account.available_credit,
        is_over_limit=account.is_over_limit,
        reserved=account.reserved,
    )


def spendable(account: Account) -> int | None:
    """What the customer can still spend: balance plus credit limit, less what reservations hold
    (clamped at 0, for display); None when the account has no limit. The guards decide; this
    only says."""
    if account.credit_limit is None:
        return None
    return max(account.balance + account.credit_limit - account.reserved, 0)


def held_reservations(account: Account) -> QuerySet[Reservation]:
    """What online orders and checkouts hold on the account, oldest first."""
    return Reservation.objects.filter(
        shop_id=account.shop_id, account=account, status=ReservationStatus.HELD
    ).order_by("created_at", "id")


def open_charges(account: Account) -> QuerySet[Charge]:
    """What the customer still owes, oldest first (what a statement lists)."""
    return (
        Charge.objects.filter(shop_id=account.shop_id, account=account, open_amount__gt=0)
        .exclude(status=ChargeStatus.VOID)
        .order_by("issued_on", "id")
    )


def charges_named(account: Account, ids: Iterable[str]) -> QuerySet[Charge]:
    """The account's charges among `ids` (as a form sends them; what is not an id is ignored)."""
    wanted = [
        int(value) for value in ids if value.isascii() and value.isdigit() and len(value) < 19
    ]
    return Charge.objects.filter(shop_id=account.shop_id, account=account, pk__in=wanted)


def unapplied_credits(account: Account) -> QuerySet[Credit]:
    return Credit.objects.filter(
        shop_id=account.shop_id,
        account=account,
        status=CreditStatus.ACTIVE,
        unapplied_amount__gt=0,
    ).order_by("received_on", "id")


@dataclass(frozen=True)
class ActivityRow:
    posting: Posting
    running_balance: int

    @property
    def amount(self) -> int:
        return self.posting.amount


@dataclass(frozen=True)
class Activity:
    start: dt.date
    end: dt.date
    opening_balance: int
    closing_balance: int
    rows: list[ActivityRow]

    @property
    def total_in(self) -> int:
        return sum(row.amount for row in self.rows if row.amount > 0)

    @property
    def total_out(self) -> int:
        return -sum(row.amount for row in self.rows if row.amount < 0)


def _day_start(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def account_activity(account: Account, *, start: dt.date, end: dt.date) -> Activity:
    """Movements of the account from `start` to `end` (inclusive, in the shop's time zone).

    In business order (when each event occurred, then posting order), with the balance before
    the range, a running balance on each movement and the balance at the end. Three queries.
    """
    if end < start:
        start, end = end, start
    since, until = _day_start(start), _day_start(end + dt.timedelta(days=1))
    postings = Posting.objects.filter(shop_id=account.shop_id, account=account)
    opening = postings.filter(occurred_at__lt=since).aggregate(total=Sum("amount"))["total"] or 0
    in_range = list(
        postings.filter(occurred_at__gte=since, occurred_at__lt=until)
        .select_related(
            "entry",
            "entry__charge",
            "entry__credit",
            "entry__reverses",
            "entry__limit_override_by",
        )
        .order_by("occurred_at", "id")
    )
    running = opening
    rows = []
    for posting in in_range:
        running += posting.amount
        rows.append(ActivityRow(posting=posting, running_balance=running))
    return Activity(
        start=start, end=end, opening_balance=opening, closing_balance=running, rows=rows
    )


def balance_series(activity: Activity) -> list[tuple[dt.date, int]]:
    """End-of-day balances over the range, for the balance chart (one point per day)."""
    points: list[tuple[dt.date, int]] = []
    balance = activity.opening_balance
    by_day: dict[dt.date, int] = {}
    for row in activity.rows:
        by_day[timezone.localdate(row.posting.occurred_at)] = row.running_balance
    day = activity.start
    while day <= activity.end:
        balance = by_day.get(day, balance)
        points.append((day, balance))
        day += dt.timedelta(days=1)
    return points


def debtors(shop_id: int) -> QuerySet[Account]:
    """Accounts that owe money, largest debt first."""
    return accounts_for_shop(shop_id).filter(balance__lt=0).order_by("balance", "id")


def over_limit(shop_id: int) -> QuerySet[Account]:
    return accounts_for_shop(shop_id).filter(
        Q(credit_limit__isnull=False) & Q(balance__lt=-F("credit_limit"))
    )


def refund_minimum_to_account(charge: Charge, amount: int) -> int:
    """The part of a refund that must go back to the account: the sale's unpaid part."""
    return min(amount, charge.open_amount)


def net_allocations(
    *, charge_id: int | None = None, credit_id: int | None = None
) -> dict[tuple[int, int], int]:
    """Net allocated amount per (credit id, charge id) pair, for the given charge or credit."""
    rows = Allocation.objects.all()
    if charge_id is not None:
        rows = rows.filter(charge_id=charge_id)
    if credit_id is not None:
        rows = rows.filter(credit_id=credit_id)
    result: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows.values("credit_id", "charge_id").annotate(net=Sum("amount")):
        if row["net"]:
            result[(row["credit_id"], row["charge_id"])] = row["net"]
    return result
