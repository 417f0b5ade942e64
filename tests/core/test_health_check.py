"""`ardoise.core.postgresql`: the per-request health check of a persistent connection asks the
kernel, not the server, when the connection is idle and the server has sent nothing."""

import select
from collections.abc import Iterator

import psycopg
import pytest
from django.db import connection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def other() -> Iterator[psycopg.Connection]:
    """A second connection to the same server, to watch and act on the first."""
    settings = connection.settings_dict
    with psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        password=settings["PASSWORD"],
        host=settings["HOST"],
        port=settings["PORT"] or None,
        autocommit=True,
    ) as watcher:
        yield watcher


def _connected() -> tuple[psycopg.Connection, int]:
    connection.ensure_connection()
    raw = connection.connection
    return raw, raw.info.backend_pid


def _last_query(other: psycopg.Connection, pid: int) -> str:
    row = other.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return row[0] if row else ""


def _wait_readable(raw: psycopg.Connection) -> None:
    poller = select.poll()
    poller.register(raw.pgconn.socket, select.POLLIN)
    assert poller.poll(5000), "the server's message did not arrive within 5 s"


def test_an_idle_healthy_connection_is_usable_without_a_query(other: psycopg.Connection) -> None:
    raw, pid = _connected()
    raw.execute("SELECT 'the last query before the check'")

    assert connection.health_check_enabled
    assert connection.is_usable()

    assert _last_query(other, pid) == "SELECT 'the last query before the check'"


def test_a_connection_the_server_closed_is_replaced_before_the_request_uses_it(
    other: psycopg.Connection,
) -> None:
    raw, pid = _connected()
    other.execute("SELECT pg_terminate_backend(%s)", [pid])
    _wait_readable(raw)

    assert not connection.is_usable()

    # As at the start of a request: the check fails, Django reconnects, the query runs.
    connection.health_check_done = False
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (new_pid,) = cursor.fetchone()
    assert new_pid != pid


def test_anything_waiting_on_the_socket_is_checked_with_select_1(
    other: psycopg.Connection,
) -> None:
    raw, pid = _connected()
    raw.execute("LISTEN ardoise_health_check")
    other.execute("NOTIFY ardoise_health_check")
    _wait_readable(raw)

    assert connection.is_usable()  # a notification is not a closed connection

    assert _last_query(other, pid) == "SELECT 1"
    raw.execute("UNLISTEN *")


def test_a_connection_inside_a_transaction_is_checked_with_select_1(
    other: psycopg.Connection,
) -> None:
    raw, pid = _connected()
    raw.execute("BEGIN")
    try:
        assert connection.is_usable()
        assert _last_query(other, pid) == "SELECT 1"
    finally:
        raw.execute("ROLLBACK")
