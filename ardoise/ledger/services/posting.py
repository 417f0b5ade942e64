"""The ledger's written SQL statements, and the posting primitives every use case shares.

Statements that run in every posting are written here as SQL rather than built by the ORM, whose
compilation was most of the CPU a posting cost (bench/posting.py). Each is a `Written`: its
table's model and the columns it names, from which its text is built, so that
`tests/ledger/test_written_sql.py` can hold each column list against the model; a model change
that breaks a statement fails that test, naming the statement.

The primitives: the balance move (the one statement that changes a balance, guarded by the
limit), the balanced journal entry and its postings, the overview shift and the figures an
allocation changes, the locked reads of what can be allocated; the checks of a use case's
arguments; and the transaction of a use case that others compose.
"""

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, models, transaction
from django.utils import timezone

from ardoise.core import cursors, inserts
from ardoise.core.money import MAX_AMOUNT, MoneyError, require_minor
from ardoise.ledger.errors import (
    AmountTooLarge,
    BalanceOutOfRange,
    InvalidAmount,
    InvalidDate,
    InvalidPaymentMode,
    ReasonRequired,
)
from ardoise.ledger.models import (
    Account,
    Charge,
    Credit,
    IdempotencyRecord,
    JournalEntry,
    Posting,
    Reservation,
)
from ardoise.shops.models import User

# Counter accounts (the other side of every customer posting). Payment modes post to
# "mode:<code>" (cash drawer, cheques to deposit, card and provider clearing, bank for transfers).
SALES = "sales"
VAT = "vat"
ADJUSTMENTS = "adjustments"
ACCOUNT_MODE = "account"  # "deducted from the account": no money moves, so not a payment mode
FUTURE_TOLERANCE = dt.timedelta(minutes=5)


def counter_for_mode(mode: str) -> str:
    return f"mode:{mode}"


# --- Written statements -----------------------------------------------------------------------


@dataclass(frozen=True)
class Written:
    """One written statement: the model of its table, the columns it names, its text."""

    model: type[models.Model]
    columns: tuple[str, ...]
    sql: str

    @property
    def table(self) -> str:
        return self.model._meta.db_table


def _written(model: type[models.Model], columns: tuple[str, ...], template: str) -> Written:
    """`template` names the table `{table}`; the columns it names are listed in `columns`."""
    return Written(model, columns, template.format(table=model._meta.db_table))


_MOVE = (
    "UPDATE {table} SET balance = balance + %s, debt = debt + %s, "
    "deposit = deposit + %s, version = version + 1 WHERE id = %s"
)
_MOVED = " RETURNING balance, credit_limit, debt, deposit"
_MOVE_COLUMNS = ("balance", "debt", "deposit", "version", "id", "credit_limit")
# The idempotency claim: the caller's first statement (see `idempotency`).
CLAIM = _written(
    IdempotencyRecord,
    ("shop_id", "key", "operation", "fingerprint", "result_id", "created_at", "id"),
    "INSERT INTO {table} (shop_id, key, operation, fingerprint, result_id, created_at) "
    "VALUES (%s, %s, %s, %s, NULL, %s) ON CONFLICT (shop_id, key) DO NOTHING RETURNING id",
)
SETTLE = _written(
    IdempotencyRecord, ("result_id", "id"), "UPDATE {table} SET result_id = %s WHERE id = %s"
)
MOVE = _written(Account, _MOVE_COLUMNS, _MOVE + _MOVED)
# DESIGN.md rule 5: the row changes only if the new balance, less what reservations hold,
# stays at or above -credit_limit.
MOVE_GUARDED = _written(
    Account,
    (*_MOVE_COLUMNS, "reserved"),
    _MOVE + " AND (credit_limit IS NULL OR balance + %s - reserved >= -credit_limit)" + _MOVED,
)
# Reservations (`reservations.py`): `reserved` moves, the balance does not. The guarded forms
# are DESIGN.md rule 5's one statement: within the limit in force (read by the statement itself,
# so a limit changed meanwhile is the one applied), or within an explicit floor (0: only the
# positive balance may be used).
_RESERVE = "UPDATE {table} SET reserved = reserved + %s WHERE id = %s"
_RESERVED = " RETURNING balance, credit_limit, reserved"
_RESERVE_COLUMNS = ("reserved", "id", "balance", "credit_limit")
RESERVE = _written(Account, _RESERVE_COLUMNS, _RESERVE + _RESERVED)
RESERVE_WITHIN_LIMIT = _written(
    Account,
    _RESERVE_COLUMNS,
    _RESERVE
    + " AND (credit_limit IS NULL OR balance - reserved - %s >= -credit_limit)"
    + _RESERVED,
)
RESERVE_WITHIN_FLOOR = _written(
    Account, _RESERVE_COLUMNS, _RESERVE + " AND balance - reserved - %s >= -%s" + _RESERVED
)
# Closing a held reservation claims it: one conditional UPDATE, so two closings of one
# reservation close it once (the second finds no held row).
CLOSE_RESERVATION = _written(
    Reservation,
    ("status", "closed_at", "shop_id", "account_id", "reference", "id", "amount"),
    "UPDATE {table} SET status = %s, closed_at = %s WHERE shop_id = %s AND account_id = %s "
    "AND reference = %s AND status = %s RETURNING id, amount",
)
# Followed by one "(%s, ...)" per posting: every posting of an entry in one INSERT, rather than
# `bulk_create`, whose compilation was a quarter of the CPU of a posting.
INSERT_POSTINGS = _written(
    Posting,
    (
        "shop_id",
        "entry_id",
        "account_id",
        "counter",
        "amount",
        "balance_after",
        "credit_limit",
        "occurred_at",
    ),
    "INSERT INTO {table} (shop_id, entry_id, account_id, counter, amount, balance_after, "
    "credit_limit, occurred_at) VALUES ",
)
# Debt and Deposit both change by the same amount: the balance does not.
SHIFT_OVERVIEW = _written(
    Account,
    ("debt", "deposit", "id"),
    "UPDATE {table} SET debt = debt + %s, deposit = deposit + %s WHERE id = %s",
)
# The figures an allocation changes on its one charge and one credit (the usual case: several
# go through `bulk_update`, whose CASE per field costs several times the CPU).
UPDATE_CHARGE_OPEN = _written(
    Charge,
    ("open_amount", "status", "id"),
    "UPDATE {table} SET open_amount = %s, status = %s WHERE id = %s",
)
UPDATE_CREDIT_UNAPPLIED = _written(
    Credit, ("unapplied_amount", "id"), "UPDATE {table} SET unapplied_amount = %s WHERE id = %s"
)
# The two reads of every allocation, locked (`locked`): `Model.objects.raw` maps the rows.
UNAPPLIED_CREDITS = _written(
    Credit,
    ("account_id", "status", "unapplied_amount", "id"),
    "SELECT * FROM {table} WHERE account_id = %s AND status = %s "
    "AND unapplied_amount > 0 ORDER BY id",
)
OPEN_CHARGES = _written(
    Charge,
    ("account_id", "open_amount", "status", "id"),
    "SELECT * FROM {table} WHERE account_id = %s AND open_amount > 0 AND status <> %s ORDER BY id",
)

WRITTEN = {
    "CLAIM": CLAIM,
    "SETTLE": SETTLE,
    "MOVE": MOVE,
    "MOVE_GUARDED": MOVE_GUARDED,
    "RESERVE": RESERVE,
    "RESERVE_WITHIN_LIMIT": RESERVE_WITHIN_LIMIT,
    "RESERVE_WITHIN_FLOOR": RESERVE_WITHIN_FLOOR,
    "CLOSE_RESERVATION": CLOSE_RESERVATION,
    "INSERT_POSTINGS": INSERT_POSTINGS,
    "SHIFT_OVERVIEW": SHIFT_OVERVIEW,
    "UPDATE_CHARGE_OPEN": UPDATE_CHARGE_OPEN,
    "UPDATE_CREDIT_UNAPPLIED": UPDATE_CREDIT_UNAPPLIED,
    "UNAPPLIED_CREDITS": UNAPPLIED_CREDITS,
    "OPEN_CHARGES": OPEN_CHARGES,
}


def execute(statement: Written, params: Any) -> tuple[Any, ...] | None:
    """Run a written statement; its first row, if it returns any."""
    with cursors.statement() as cursor:
        cursor.execute(statement.sql, params)
        return cursor.fetchone() if cursor.description else None


def locked(statement: Written) -> str:
    """Row locks where the database has them (PostgreSQL); SQLite's IMMEDIATE transaction
    already holds the database's write lock, as `select_for_update` assumes."""
    return (
        f"{statement.sql} FOR UPDATE"
        if connection.features.has_select_for_update
        else statement.sql
    )


# --- Balance, journal entry, postings ---------------------------------------------------------


@dataclass(frozen=True)
class Moved:
    """The account row as the balance UPDATE left it (the row stays locked until commit)."""

    balance: int
    credit_limit: int | None
    debt: int
    deposit: int


def move(account_id: int, *, debt: int = 0, deposit: int = 0, guard: bool = False) -> Moved | None:
    """The one statement that changes a balance: `balance += deposit - debt`.

    With `guard`, the row is changed only if the new balance stays at or above -credit_limit
    (DESIGN.md rule 5); `None` means refused. Returns the new balance, the limit in force, and
    the account's Debt and Deposit (which tell whether there is anything to allocate).
    """
    delta = deposit - debt
    try:
        if guard:
            row = execute(MOVE_GUARDED, [delta, debt, deposit, account_id, delta])
        else:
            row = execute(MOVE, [delta, debt, deposit, account_id])
    except IntegrityError as error:
        # The CHECK constraints bound Debt and Deposit (core/money.py MAX_BALANCE): a balance
        # that would leave them is refused, never overflowed. The use case's transaction ends.
        raise BalanceOutOfRange() from error
    return Moved(*row) if row else None


def shift_overview(account_id: int, amount: int) -> None:
    """Debt and Deposit both change by `amount` (negative when allocating): balance unchanged."""
    if amount:
        execute(SHIFT_OVERVIEW, [amount, amount, account_id])


# (account, counter, amount, balance_after, credit_limit)
Line = tuple[int | None, str, int, int | None, int | None]


def post_entry(
    *,
    account: Account,
    kind: str,
    customer_amount: int,
    counters: dict[str, int],
    moved: Moved | None,
    occurred_at: dt.datetime,
    actor_id: int | None,
    memo: str = "",
    reason: str = "",
    reverses: JournalEntry | None = None,
    override_by_id: int | None = None,
) -> JournalEntry:
    """Write one balanced journal entry: the customer posting and its counter postings."""
    entry = inserts.create(
        JournalEntry,
        shop_id=account.shop_id,
        kind=kind,
        occurred_at=occurred_at,
        memo=memo[:200],
        reason=reason,
        reverses=reverses,
        actor_id=actor_id,
        limit_override_by_id=override_by_id,
    )
    # The customer's side, then the counter accounts.
    lines: list[Line] = []
    if customer_amount:
        assert moved is not None
        lines.append((account.pk, "", customer_amount, moved.balance, moved.credit_limit))
    lines.extend(
        (None, counter, amount, None, None) for counter, amount in counters.items() if amount
    )
    if len(lines) < 2 or sum(line[2] for line in lines) != 0:
        raise AssertionError(f"unbalanced journal entry: {lines}")
    _insert_postings(entry, lines, occurred_at)
    return entry


def _insert_postings(entry: JournalEntry, lines: list[Line], occurred_at: dt.datetime) -> None:
    when = connection.ops.adapt_datetimefield_value(occurred_at)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(lines))
    params = [value for line in lines for value in (entry.shop_id, entry.pk, *line, when)]
    with cursors.statement() as cursor:
        cursor.execute(INSERT_POSTINGS.sql + rows, params)


# --- Arguments --------------------------------------------------------------------------------


def positive_amount(value: object, *, name: str = "amount", allow_zero: bool = False) -> int:
    try:
        amount = require_minor(value, name=name)
    except MoneyError as error:
        raise InvalidAmount() from error
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount()
    if amount >= MAX_AMOUNT:
        raise AmountTooLarge()
    return amount


def payment_mode(mode: str) -> str:
    if not mode or mode == ACCOUNT_MODE or len(mode) > 30 or not mode.replace("_", "").isalnum():
        raise InvalidPaymentMode()
    return mode


def occurred(occurred_at: dt.datetime | None) -> dt.datetime:
    """When the event occurred: now, or a given aware time that is not in the future."""
    now = timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at) or occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidDate()
    return occurred_at


def required_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


# --- Transactions -----------------------------------------------------------------------------


def composable() -> transaction.Atomic:
    """The transaction of a use case that other use cases compose (see the package docstring).

    Outermost, it is the event's transaction. Inside a caller's, `savepoint=False`: the use case
    joins it, and a refusal fails the caller's whole event. The one outer block it does not join
    is a test case's (pytest-django's `db` wraps each test in one): Django's check of `durable`
    exempts that block the same way (`Atomic._from_testcase`), since a use case called from a
    test runs there as it runs outermost in production; its savepoint lets the test read the
    ledger after a refusal, as production can after its rollback.
    """
    blocks = transaction.get_connection().atomic_blocks
    return transaction.atomic(savepoint=bool(blocks) and blocks[-1]._from_testcase)
