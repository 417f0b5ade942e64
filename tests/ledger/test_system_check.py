"""The system check that refuses a SQLite too old for the ledger's `RETURNING` (3.35.0)."""

import sqlite3

import pytest
from django.core import checks
from django.db import connections

from ardoise.ledger.apps import sqlite_has_returning


def _on_sqlite() -> list[str]:
    return [alias for alias in connections if connections[alias].vendor == "sqlite"]


def test_a_sqlite_older_than_returning_is_refused_with_a_clear_message(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", (3, 34, 1))
    monkeypatch.setattr(sqlite3, "sqlite_version", "3.34.1")

    errors = [error for error in checks.run_checks() if error.id == "ledger.E001"]

    # One error per database on SQLite (none when the suite runs on PostgreSQL).
    assert [(error.level, error.msg, error.hint) for error in errors] == [
        (
            checks.ERROR,
            f"SQLite 3.34.1 is too old for the ledger of database '{alias}': its statements use "
            "RETURNING, which needs SQLite 3.35.0 or later.",
            "Run Python with a newer SQLite library, or use PostgreSQL (DATABASE_URL).",
        )
        for alias in _on_sqlite()
    ]


@pytest.mark.parametrize("version", [(3, 35, 0), (3, 46, 1)])
def test_a_sqlite_with_returning_passes(
    monkeypatch: pytest.MonkeyPatch, version: tuple[int, int, int]
) -> None:
    monkeypatch.setattr(sqlite3, "sqlite_version_info", version)

    assert sqlite_has_returning() == []
