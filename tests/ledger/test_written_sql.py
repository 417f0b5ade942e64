"""The ledger's written SQL statements (`services/posting.py`) held against the models they name.

Each statement lists the columns it names, pinned here. A model change that renames or drops one
of them, or that adds a column an INSERT would leave out, fails here with the statement's name
before any posting does.
"""

import dataclasses
import re

import pytest
from django.db import models

from ardoise.ledger.models import (
    Account,
    Charge,
    Credit,
    IdempotencyRecord,
    Posting,
    Reservation,
)
from ardoise.ledger.services import posting

MOVE = ("balance", "debt", "deposit", "version", "id", "credit_limit")
RESERVE = ("reserved", "id", "balance", "credit_limit")
PINNED: dict[str, tuple[type[models.Model], tuple[str, ...]]] = {
    "CLAIM": (
        IdempotencyRecord,
        ("shop_id", "key", "operation", "fingerprint", "result_id", "created_at", "id"),
    ),
    "SETTLE": (IdempotencyRecord, ("result_id", "id")),
    "MOVE": (Account, MOVE),
    "MOVE_GUARDED": (Account, (*MOVE, "reserved")),
    "RESERVE": (Account, RESERVE),
    "RESERVE_WITHIN_LIMIT": (Account, RESERVE),
    "RESERVE_WITHIN_FLOOR": (Account, RESERVE),
    "CLOSE_RESERVATION": (
        Reservation,
        ("status", "closed_at", "shop_id", "account_id", "reference", "id", "amount"),
    ),
    "INSERT_POSTINGS": (
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
    ),
    "SHIFT_OVERVIEW": (Account, ("debt", "deposit", "id")),
    "UPDATE_CHARGE_OPEN": (Charge, ("open_amount", "status", "id")),
    "UPDATE_CREDIT_UNAPPLIED": (Credit, ("unapplied_amount", "id")),
    "UNAPPLIED_CREDITS": (Credit, ("account_id", "status", "unapplied_amount", "id")),
    "OPEN_CHARGES": (Charge, ("account_id", "open_amount", "status", "id")),
}
INSERTS = ["CLAIM", "INSERT_POSTINGS"]


def _columns(model: type[models.Model]) -> set[str]:
    return {field.column for field in model._meta.concrete_fields}


def test_every_written_statement_is_pinned() -> None:
    assert sorted(posting.WRITTEN) == sorted(PINNED)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_a_written_statement_names_only_columns_of_its_model(name: str) -> None:
    statement = posting.WRITTEN[name]
    model, columns = PINNED[name]

    assert (statement.model, statement.columns) == (model, columns)
    missing = sorted(set(columns) - _columns(model))
    assert missing == [], f"{name} names columns {model.__name__} no longer has: {missing}"
    assert f" {model._meta.db_table} " in statement.sql
    named = [column for column in columns if not re.search(rf"\b{column}\b", statement.sql)]
    assert named == [], f"{name} lists columns its text does not name: {named}"


@pytest.mark.parametrize("name", INSERTS)
def test_a_written_insert_writes_every_column_of_its_table(name: str) -> None:
    statement = posting.WRITTEN[name]
    match = re.search(r"INSERT INTO \w+ \(([^)]*)\) VALUES", statement.sql)
    assert match is not None
    written = [column.strip() for column in match.group(1).split(",")]

    assert written == [column for column in statement.columns if column != "id"]
    assert sorted(written) == sorted(_columns(statement.model) - {"id"}), (
        f"{name} does not write every column of {statement.table}"
    )


def test_the_balance_move_returns_what_moved_holds() -> None:
    returned = "RETURNING balance, credit_limit, debt, deposit"

    assert [field.name for field in dataclasses.fields(posting.Moved)] == [
        "balance",
        "credit_limit",
        "debt",
        "deposit",
    ]
    assert posting.MOVE.sql.endswith(returned)
    assert posting.MOVE_GUARDED.sql.endswith(returned)


def test_the_charge_guard_counts_reservations() -> None:
    assert "balance + %s - reserved >= -credit_limit" in posting.MOVE_GUARDED.sql


def test_the_reserve_is_one_guarded_update_returning_the_new_figures() -> None:
    returned = "RETURNING balance, credit_limit, reserved"

    for statement in (posting.RESERVE, posting.RESERVE_WITHIN_LIMIT, posting.RESERVE_WITHIN_FLOOR):
        assert statement.sql.startswith("UPDATE ledger_account SET reserved = reserved + %s")
        assert statement.sql.endswith(returned)
    assert "balance - reserved - %s >= -credit_limit" in posting.RESERVE_WITHIN_LIMIT.sql
    assert "balance - reserved - %s >= -%s" in posting.RESERVE_WITHIN_FLOOR.sql
