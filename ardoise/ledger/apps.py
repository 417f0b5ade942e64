import sqlite3
from typing import Any

from django.apps import AppConfig
from django.core import checks
from django.db import connections

# The ledger's written statements (`services/posting.py`) read back what they wrote with
# `RETURNING`, which SQLite has had since 3.35.0.
SQLITE_RETURNING = (3, 35, 0)


def sqlite_has_returning(**kwargs: Any) -> list[checks.CheckMessage]:
    """Refuse a SQLite library older than `RETURNING` on any database that uses SQLite."""
    if sqlite3.sqlite_version_info >= SQLITE_RETURNING:
        return []
    return [
        checks.Error(
            f"SQLite {sqlite3.sqlite_version} is too old for the ledger of database "
            f"'{alias}': its statements use RETURNING, which needs SQLite "
            f"{'.'.join(map(str, SQLITE_RETURNING))} or later.",
            hint="Run Python with a newer SQLite library, or use PostgreSQL (DATABASE_URL).",
            id="ledger.E001",
        )
        for alias in connections
        if connections[alias].vendor == "sqlite"
    ]


class LedgerConfig(AppConfig):
    name = "ardoise.ledger"
    label = "ledger"

    def ready(self) -> None:
        checks.register(sqlite_has_returning, checks.Tags.compatibility)
