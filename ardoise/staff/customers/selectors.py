"""Reads behind the customers and credit accounts pages, always scoped to one shop.

Each list is one query for the page plus one count (the paginator's), whatever the page size:
balances come from a join on the account row (indexed on (shop, balance)), never per row.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.core.dates import clamp_day
from ardoise.customers.models import Customer, search_condition
from ardoise.ledger.models import Account, Charge, Reservation
from ardoise.ledger.selectors import open_charges, unapplied_credits
from ardoise.shops.models import Shop

PAGE_SIZE = 50


def _order(field: str, descending: bool) -> list[OrderBy]:
    expression = F(field)
    first = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    tie = F("id").desc() if descending else F("id").asc()
    return [first, tie]


CUSTOMER_SORTS = {"name": "name", "company": "company", "email": "email", "balance": "balance"}

CUSTOMER_FILTERS: dict[str, tuple[StrOrPromise, Q]] = {
    "owes": (_("Owes money"), Q(balance__lt=0)),
    "credit": (_("Has a deposit"), Q(deposit__gt=0)),
    "over_limit": (
        _("Over limit"),
        Q(credit_limit__isnull=False, balance__lt=-F("credit_limit")),
    ),
    "no_credit": (_("No credit allowed"), Q(credit_limit=0)),
}


@dataclass(frozen=True)
class ListQuery:
    """What a list page was asked for: search text, sort key (`-` for descending), filter."""

    search: str = ""
    sort: str = "name"
    filter: str = ""

    @property
    def sort_field(self) -> str:
        return self.sort.removeprefix("-")

    @property
    def descending(self) -> bool:
        return self.sort.startswith("-")


def list_query(params: dict[str, str], *, sorts: dict[str, str], filters: dict) -> ListQuery:
    sort = params.get("sort", "name")
    if sort.removeprefix("-") not in sorts:
        sort = "name"
    chosen = params.get("filter", "")
    return ListQuery(
        search=params.get("q", "").strip()[:100],
        sort=sort,
        filter=chosen if chosen in filters else "",
    )


def customer_rows(shop: Shop, query: ListQuery) -> QuerySet[Customer]:
    """Customers with their account's figures (None without an account), searched and sorted."""
    rows = (
        Customer.objects.for_shop(shop.pk)
        .annotate(
            # The shop in the join matches the unique (shop, customer, currency): PostgreSQL
            # then drops the join from the count when no filter needs the account.
            account=FilteredRelation(
                "accounts",
                condition=Q(accounts__shop_id=shop.pk, accounts__currency=shop.currency),
            )
        )
        .annotate(
            balance=F("account__balance"),
            deposit=F("account__deposit"),
            credit_limit=F("account__credit_limit"),
        )
    )
    if query.search:
        rows = rows.filter(search_condition(query.search))
    if query.filter:
        rows = rows.filter(CUSTOMER_FILTERS[query.filter][1])
    return rows.order_by(*_order(CUSTOMER_SORTS[query.sort_field], query.descending))


ACCOUNT_SORTS = {
    "name": "customer__name",
    "balance": "balance",
    "debt": "debt",
    "deposit": "deposit",
    "credit_limit": "credit_limit",
}


def credit_account_rows(shop: Shop, query: ListQuery) -> QuerySet[Account]:
    """Every account of the shop with its customer: Debt, Deposit, limit and balance."""
    rows = Account.objects.filter(shop_id=shop.pk, currency=shop.currency).select_related(
        "customer"
    )
    if query.search:
        rows = rows.filter(search_condition(query.search, prefix="customer__"))
    if query.filter:
        rows = rows.filter(CUSTOMER_FILTERS[query.filter][1])
    return rows.order_by(*_order(ACCOUNT_SORTS[query.sort_field], query.descending))


# --- Activity ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    code: str
    label: StrOrPromise
    start: dt.date
    end: dt.date


def activity_presets(today: dt.date | None = None) -> list[Preset]:
    today = today or timezone.localdate()
    month_start = today.replace(day=1)
    last_month_end = month_start - dt.timedelta(days=1)
    return [
        Preset("30d", _("Last 30 days"), today - dt.timedelta(days=29), today),
        Preset("90d", _("Last 90 days"), today - dt.timedelta(days=89), today),
        Preset("month", _("This month"), month_start, today),
        Preset("last_month", _("Last month"), last_month_end.replace(day=1), last_month_end),
        Preset("year", _("This year"), today.replace(month=1, day=1), today),
        Preset("12m", _("Last 12 months"), today - dt.timedelta(days=364), today),
    ]


DEFAULT_PRESET = "90d"
MAX_RANGE_DAYS = 366 * 3


def activity_range(params: dict[str, str]) -> tuple[dt.date, dt.date, str]:
    """The range asked for: explicit `start`/`end` dates, else a preset (default 90 days)."""
    presets = {preset.code: preset for preset in activity_presets()}
    try:
        start = dt.date.fromisoformat(params.get("start", ""))
        end = dt.date.fromisoformat(params.get("end", ""))
    except ValueError:
        preset = presets.get(params.get("range", ""), presets[DEFAULT_PRESET])
        return preset.start, preset.end, preset.code
    today = timezone.localdate()
    start, end = clamp_day(start, today), clamp_day(end, today)  # year 0001 or 9999: clamped
    if end < start:
        start, end = end, start
    start = max(start, end - dt.timedelta(days=MAX_RANGE_DAYS))
    matching = [p.code for p in presets.values() if (p.start, p.end) == (start, end)]
    return start, end, matching[0] if matching else ""


# --- Deposit beside open charges --------------------------------------------------------------


@dataclass(frozen=True)
class IdleDeposit:
    """Deposit shown next to open charges it could pay, and why it has not paid them.

    `applicable` could settle them now (automatic allocation is off, so it waits for staff);
    `held_for_orders` is a deposit kept for orders not delivered yet.
    """

    applicable: int
    held_for_orders: int
    automatic: bool
    open_charges: list[Charge]


def idle_deposit(account: Account, *, automatic: bool) -> IdleDeposit | None:
    """None when Deposit and Debt are not both above zero (nothing to explain): no query then."""
    if account.debt <= 0 or account.deposit <= 0:
        return None
    credits = list(unapplied_credits(account).values_list("earmark", "unapplied_amount"))
    order_earmarks = {earmark for earmark, _ in credits if earmark.startswith("order:")}
    delivered = set(
        Charge.objects.filter(account=account, earmark__in=order_earmarks).values_list(
            "earmark", flat=True
        )
    )
    held = sum(
        amount
        for earmark, amount in credits
        if earmark.startswith("order:") and earmark not in delivered
    )
    return IdleDeposit(
        applicable=account.deposit - held,
        held_for_orders=held,
        automatic=automatic,
        open_charges=list(open_charges(account)),
    )


@dataclass(frozen=True)
class ReservationRow:
    """A hold on the account as staff read it: what it is for, where to see it, how much."""

    label: StrOrPromise
    url: str
    amount: int
    since: dt.datetime
    expires_at: dt.datetime | None


def _reservation_for(reference: str) -> tuple[StrOrPromise, str]:
    kind, _sep, number = reference.partition(":")
    if kind == "order" and number.isdigit():
        label = _("Online order No. %(number)s") % {"number": number}
        return label, reverse("staff:order_detail", args=[int(number)])
    if kind == "checkout":
        return _("Online payment started, not confirmed yet"), ""
    return reference, ""


def reservation_rows(reservations: Iterable[Reservation]) -> list[ReservationRow]:
    rows = []
    for reservation in reservations:
        label, url = _reservation_for(reservation.reference)
        rows.append(
            ReservationRow(
                label=label,
                url=url,
                amount=reservation.amount,
                since=reservation.created_at,
                expires_at=reservation.expires_at,
            )
        )
    return rows
