"""Database-level refusal of UPDATE and DELETE on append-only tables.

Journal entries, postings, allocations and audit events are history: corrections are new rows
that point at the old ones. The refusal lives in the database, not in Python, so that no code
path (a raw query, a bulk update, the admin, a shell) can rewrite history.

PostgreSQL: a row trigger raising an exception. SQLite: triggers that RAISE(ABORT) unless the
connection-level function `ardoise_purge_allowed()` answers 1. That function is registered on
every connection Ardoise opens and answers 0 except inside `purge_allowed()`, which only the test
suite uses to empty the database between tests. A connection opened by another program has no
such function, so its trigger fails too: the refusal holds everywhere.
"""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.backends.signals import connection_created
from django.db.migrations.state import StateApps
from django.dispatch import receiver

_state = threading.local()

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION ardoise_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'append-only table %: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'integrity_constraint_violation';
END
$$ LANGUAGE plpgsql;
"""


def _allowed() -> int:
    return 1 if getattr(_state, "purge", False) else 0


@contextmanager
def purge_allowed() -> Iterator[None]:
    """Let this thread's SQLite connections delete append-only rows (test teardown only)."""
    _state.purge = True
    try:
        yield
    finally:
        _state.purge = False


@receiver(connection_created)
def _register_sqlite_function(sender: Any, connection: Any, **kwargs: Any) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_function(
            "ardoise_purge_allowed", 0, _allowed, deterministic=False
        )


def _create(table: str, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        schema_editor.execute(PG_FUNCTION, None)
        schema_editor.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION ardoise_refuse_change()"
        )
    elif vendor == "sqlite":
        for operation in ("UPDATE", "DELETE"):
            schema_editor.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                "WHEN ardoise_purge_allowed() = 0 "
                f"BEGIN SELECT RAISE(ABORT, 'append-only table {table}: {operation} refused'); END"
            )
    else:  # pragma: no cover - only the two supported engines
        raise NotImplementedError(f"append-only triggers for {vendor}")


def _drop(table: str, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
    else:
        for operation in ("update", "delete"):
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


def make_append_only(*tables: str) -> migrations.RunPython:
    """A migration operation that installs the refusal on each table."""

    def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for table in tables:
            _create(table, schema_editor)

    def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for table in tables:
            _drop(table, schema_editor)

    return migrations.RunPython(forward, backward, elidable=False)


def reinstall_append_only(*tables: str, when: str = "forward") -> migrations.RunPython:
    """Put the refusal back on tables a migration rebuilt.

    SQLite alters a table (a new constraint, say) by building a new one and dropping the old,
    and the old table's triggers go with it. A migration that alters an append-only table on
    SQLite ends with `reinstall_append_only(...)` and starts with
    `reinstall_append_only(..., when="backward")`, so the refusal holds in both directions.
    """

    def reinstall(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        for table in tables:
            _drop(table, schema_editor)
            _create(table, schema_editor)

    def nothing(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        return None

    if when == "forward":
        return migrations.RunPython(reinstall, nothing, elidable=False)
    return migrations.RunPython(nothing, reinstall, elidable=False)
