"""`ardoise.core.reads.first` (a row by a WHERE built once) and `ardoise.core.cursors.statement`
(one cursor per connection for the statements of every posting)."""

import datetime as dt
from collections.abc import Iterator

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ardoise.core import cursors, reads
from ardoise.ledger.models import Account
from tests.factories import make_account, make_shop

pytestmark = pytest.mark.django_db

WHERE = "shop_id = %s AND customer_id = %s"


@pytest.fixture(autouse=True)
def _connection_of_its_own() -> Iterator[None]:
    """The browser tests' live server, once started, shares this process's connection with its
    threads for the rest of the session (a cursor per use then); these tests are about the
    connection's own cursor, with no request being served meanwhile."""
    shared = connection._thread_sharing_count
    for _ in range(shared):
        connection.dec_thread_sharing()
    yield
    for _ in range(shared):
        connection.inc_thread_sharing()


def test_first_reads_the_row_a_queryset_reads_every_field_converted() -> None:
    account = make_account(make_shop(), credit_limit=50_00)

    found = reads.first(Account, WHERE, [account.shop_id, account.customer_id])

    assert found is not None
    expected = Account.objects.get(pk=account.pk)
    assert found.get_deferred_fields() == set()
    assert found._state.adding is False
    assert found._state.db == "default"
    for field in Account._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(expected, field.attname), field.name
    # SQLite gives dates back as text: the database's converters ran
    assert isinstance(found.opened_at, dt.datetime)
    assert found.opened_at.tzinfo is not None


def test_first_is_none_when_no_row_matches_and_takes_the_oldest_otherwise() -> None:
    shop = make_shop()
    first = make_account(shop)
    second = Account.objects.create(
        shop=shop, customer=first.customer, currency="CHF", credit_limit=None
    )

    assert reads.first(Account, WHERE, [shop.pk, first.customer_id + 10_000]) is None
    found = reads.first(Account, WHERE, [shop.pk, first.customer_id])
    assert found is not None
    assert found.pk == first.pk < second.pk
    newest = reads.first(Account, WHERE, [shop.pk, first.customer_id], order_by="id DESC")
    assert newest is not None
    assert newest.pk == second.pk


def test_first_is_one_statement_built_once() -> None:
    account = make_account(make_shop())
    reads.first(Account, WHERE, [account.shop_id, account.customer_id])
    hits = reads._compiled.cache_info().hits

    with CaptureQueriesContext(connection) as queries:
        reads.first(Account, WHERE, [account.shop_id, account.customer_id])

    assert len(queries) == 1
    assert reads._compiled.cache_info().hits == hits + 1


def test_statement_hands_out_the_same_cursor_while_the_connection_lives() -> None:
    with cursors.statement() as first:
        first.execute("SELECT 1")
        assert first.fetchone() == (1,)
    with cursors.statement() as second:
        second.execute("SELECT 2")
        assert second.fetchone() == (2,)

    assert second is first


@pytest.mark.django_db(transaction=True)
def test_a_new_connection_gets_a_new_cursor() -> None:
    with cursors.statement() as before:
        before.execute("SELECT 1")
    old = connection.connection
    connection.close()  # as the end of a request past CONN_MAX_AGE, or a failed health check

    with cursors.statement() as after:
        after.execute("SELECT 3")
        assert after.fetchone() == (3,)

    # Django keeps an in-memory SQLite database open (closing it would lose it): same connection,
    # same cursor; on PostgreSQL and a file the connection is new, and so is the cursor.
    assert (after is not before) == (connection.connection is not old)
    if connection.vendor == "postgresql":
        assert after is not before


def test_logged_queries_see_every_statement_and_wrappers_wrap_them() -> None:
    with cursors.statement() as unlogged:
        unlogged.execute("SELECT 1")
    seen: list[str] = []

    def record(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        seen.append(sql)
        return execute(sql, params, many, context)

    with CaptureQueriesContext(connection) as queries, connection.execute_wrapper(record):
        with cursors.statement() as logged:
            logged.execute("SELECT 4")
        with cursors.statement() as again:
            again.execute("SELECT 5")

    assert logged is not unlogged
    assert again is logged
    assert [query["sql"] for query in queries] == ["SELECT 4", "SELECT 5"]
    assert seen == ["SELECT 4", "SELECT 5"]
    with cursors.statement() as after:
        assert after is not logged  # logging is off again: no more logging cursor


def test_a_connection_shared_between_threads_gets_a_cursor_per_use() -> None:
    """The live server of the browser tests shares the test's connection with its threads."""
    with cursors.statement() as held:
        held.execute("SELECT 1")
    connection.inc_thread_sharing()
    try:
        with cursors.statement() as first, cursors.statement() as second:
            first.execute("SELECT 8")
            second.execute("SELECT 9")
            assert first.fetchone() == (8,)
            assert second.fetchone() == (9,)
    finally:
        connection.dec_thread_sharing()

    assert first is not second
    assert held not in (first, second)
    with cursors.statement() as again:
        assert again is held  # not shared any more: the connection's own cursor again


def test_a_database_error_is_django_s_error() -> None:
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic(), cursors.statement() as cursor:
        cursor.execute("SELECT * FROM no_such_table")
    with cursors.statement() as cursor:  # the cursor still works after the failed transaction
        cursor.execute("SELECT 6")
        assert cursor.fetchone() == (6,)
