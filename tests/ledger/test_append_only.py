"""Journal entries, postings, allocations and audit events refuse UPDATE and DELETE in the
database itself (DESIGN.md rule 3), whatever the path: raw SQL or the ORM. Runs on SQLite and,
in the PostgreSQL run, on PostgreSQL."""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import F

from ardoise.audit.models import AuditEvent
from ardoise.ledger.models import Allocation, JournalEntry, Posting
from tests.ledger.conftest import Book

pytestmark = pytest.mark.django_db

# table -> (a column to change, a value for it)
TABLES = {
    "ledger_journal_entry": ("memo", "rewritten"),
    "ledger_posting": ("amount", 1),
    "ledger_allocation": ("amount", 1),
    "audit_event": ("action", "rewritten"),
}


def _one_id(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MIN(id) FROM {table}")
        (row_id,) = cursor.fetchone()
    assert isinstance(row_id, int)
    return int(row_id)


def _count(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {table}")
        return int(cursor.fetchone()[0])


def _refused(statement: str, params: list[object]) -> None:
    # The savepoint keeps the test's transaction usable on PostgreSQL after the error.
    with (
        pytest.raises(IntegrityError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(statement, params)


@pytest.mark.parametrize("table", TABLES)
def test_raw_update_is_refused(book: Book, table: str) -> None:
    column, value = TABLES[table]
    row_id = _one_id(table)

    _refused(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, row_id])

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [row_id])
        assert cursor.fetchone()[0] != value


@pytest.mark.parametrize("table", TABLES)
def test_raw_delete_is_refused(book: Book, table: str) -> None:
    before = _count(table)

    _refused(f"DELETE FROM {table} WHERE id = %s", [_one_id(table)])
    _refused(f"DELETE FROM {table}", [])

    assert _count(table) == before


@pytest.mark.parametrize("model", [JournalEntry, Posting, Allocation, AuditEvent])
def test_orm_update_and_delete_are_refused(book: Book, model: type) -> None:
    rows = model.objects.all()  # type: ignore[attr-defined]
    before = rows.count()
    first = rows.filter(pk=rows.order_by("pk").first().pk)

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        first.update(id=F("id"))
    # Straight to SQL, past the collector (which would stop at PROTECT foreign keys first).
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        first._raw_delete(connection.alias)

    assert rows.count() == before


def test_inserting_stays_possible(book: Book) -> None:
    """Append-only, not read-only: corrections are new rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO audit_event (shop_id, action, object_type, data, created_at) "
            "VALUES (%s, 'test.appended', '', '{}', CURRENT_TIMESTAMP)",
            [book.shop.pk],
        )
    assert AuditEvent.objects.filter(action="test.appended").count() == 1
