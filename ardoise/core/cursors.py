"""One database cursor per connection for the statements every posting sends.

`connection.cursor()` makes a new driver cursor and a new Django wrapper each time, and the
`with` block closes them: for the dozen statements of one API charge that was 6 % of the
instructions the charge cost its server (counted with callgrind; bench/api.py).

`statement()` hands out the same wrapper for as long as its connection lives, after the checks
`connection.cursor()` makes (the health check of a reused connection once per request, a
connection opened if needed, the thread that owns it). A new one is made when the connection is
a new one, when the driver says the cursor was closed, or when query logging is switched on or
off (`assertNumQueries` and DEBUG see every statement, as with `connection.cursor()`);
`execute_wrapper` wraps every execute either way.

A connection shared between threads (`allow_thread_sharing`: the test suite's live server shares
its in-memory SQLite database with the test's thread) gets a cursor per use, as
`connection.cursor()` gives: two threads on one cursor would read each other's results. In
production every thread has its own connection, and so its own cursor.

For statements whose result is read at once (`fetchone`/`fetchall` inside the block): the next
statement on the connection replaces it. Never close it: it is shared (SQLite's cursors do not
say whether they are closed, so a closed one would not be replaced until the connection is).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

_ATTRIBUTE = "_ardoise_statement_cursor"


@contextmanager
def statement(using: str = DEFAULT_DB_ALIAS) -> Iterator[Any]:
    connection = connections[using]
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    if connection.allow_thread_sharing:
        with connection.cursor() as cursor:
            yield cursor
        return
    held = getattr(connection, _ATTRIBUTE, None)
    logged = connection.queries_logged
    if (
        held is None
        or held[0] is not connection.connection
        or held[1] != logged
        or getattr(held[2].cursor, "closed", False)
    ):
        held = (connection.connection, logged, connection.cursor())
        setattr(connection, _ATTRIBUTE, held)
    with connection.wrap_database_errors:
        yield held[2]
