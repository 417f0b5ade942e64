"""Django's PostgreSQL backend with a cheaper health check; config/database.py names it.

`CONN_HEALTH_CHECKS` makes Django check a persistent connection once per request before using
it, so that a connection the server has closed (a restart, `pg_terminate_backend`, an
`idle_session_timeout`) is replaced instead of failing the request with a 500. Django checks
with `SELECT 1`: a round trip to the server on every request, one in fifteen of an API charge's.

A connection the server has closed has said so: PostgreSQL sends its FATAL message and closes
the socket, or the kernel closes it when the process dies, and either makes the socket readable.
An idle connection (no transaction, no query under way) whose socket has nothing to read has
received nothing the server sent, so it is as usable as `SELECT 1` would find it, and this check
asks the kernel (a `poll` with no wait) instead of the server. Anything else (something to
read, which may also be a notice or a notification; a transaction left open; a closed
connection) goes to Django's `SELECT 1` as before. What neither check sees sooner is a server
that vanished without closing (a cable pulled): `SELECT 1` would wait for TCP's timeout there
too.

Measured with bench/api.py: see README, "Benchmarks".
"""

import select
from typing import Any

from django.db.backends.postgresql import base
from psycopg import pq


class DatabaseWrapper(base.DatabaseWrapper):
    def is_usable(self) -> bool:
        connection: Any = self.connection
        if connection is None:
            return False
        if (
            not connection.closed
            and connection.pgconn.status == pq.ConnStatus.OK
            and connection.info.transaction_status == pq.TransactionStatus.IDLE
            and not _readable(connection.pgconn.socket)
        ):
            return True
        return bool(super().is_usable())


def _readable(socket: int) -> bool:
    """Whether the socket has something to read, or is closed or in error (no wait)."""
    poller = select.poll()
    poller.register(socket, select.POLLIN | select.POLLPRI)
    return bool(poller.poll(0))
