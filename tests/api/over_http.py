"""Real HTTP for the API tests that need it: httpx clients against a running server (pytest-django's
`live_server`, Django's threaded WSGI server), a client that hangs up without reading the answer,
and a count of the requests the server has started and finished, so that a test waits for the
ones nobody waits for before it looks at the database."""

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.core import signals

from tests.support import Snapshot

API = "/api/v1"


class HttpApi:
    """One till: an httpx client (one keep-alive connection) sending its key as a bearer."""

    def __init__(self, base_url: str, secret: str, language: str = "en") -> None:
        self.client = httpx.Client(
            base_url=base_url + API,
            headers={"Authorization": f"Bearer {secret}", "Accept-Language": language},
            timeout=60,
        )

    def get(self, path: str, **params: Any) -> httpx.Response:
        return self.client.get(path, params=params)

    def post(self, path: str, body: Any = None, *, key: str | None = None) -> httpx.Response:
        headers = {} if key is None else {"Idempotency-Key": key}
        content = b"" if body is None else json.dumps(body).encode()
        kind = {"Content-Type": "application/json"} if body is not None else {}
        return self.client.post(path, content=content, headers={**headers, **kind})

    def close(self) -> None:
        self.client.close()


def raw_post(
    base_url: str, path: str, body: Any, headers: dict[str, str]
) -> tuple[bytes, socket.socket]:
    """The bytes of an HTTP/1.1 POST and a socket already connected to the server."""
    parts = urlsplit(base_url)
    content = b"" if body is None else json.dumps(body).encode()
    lines = [
        f"POST {API}{path} HTTP/1.1",
        f"Host: {parts.netloc}",
        f"Content-Length: {len(content)}",
        "Connection: close",
        *(f"{name}: {value}" for name, value in headers.items()),
    ]
    if body is not None:
        lines.append("Content-Type: application/json")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + content
    connection = socket.create_connection((parts.hostname, parts.port), timeout=30)
    return request, connection


def hang_up(connection: socket.socket, request: bytes, *, body_cut: bool) -> None:
    """Send `request` and close the socket without reading a byte of the answer, as a till does
    when its network drops. `body_cut`: close halfway through the body instead (the headers are
    complete, so the server starts the request and finds its body short)."""
    head, _, body = request.partition(b"\r\n\r\n")
    sent = head + b"\r\n\r\n" + (body[: len(body) // 2] if body_cut else body)
    try:
        connection.sendall(sent)
        connection.shutdown(socket.SHUT_WR)
    finally:
        connection.close()


class ServerRequests:
    """Requests the server in this process has started and finished (Django's request signals,
    sent by its handler whether or not the client is still there)."""

    def __init__(self) -> None:
        self.started = self.finished = 0
        self.lock = threading.Condition()

    def _start(self, **kwargs: Any) -> None:
        with self.lock:
            self.started += 1

    def _finish(self, **kwargs: Any) -> None:
        with self.lock:
            self.finished += 1
            self.lock.notify_all()

    def wait_for(self, count: int, *, timeout: float = 120) -> None:
        """Block until `count` requests have finished (not a timed assertion: a deadline only
        for a server that hangs)."""
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.finished < count:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"the server finished {self.finished} of {count} requests "
                        f"({self.started} started)"
                    )
                self.lock.wait(left)


@contextmanager
def server_requests() -> Iterator[ServerRequests]:
    counter = ServerRequests()
    signals.request_started.connect(counter._start, dispatch_uid="tests-server-requests-start")
    signals.request_finished.connect(counter._finish, dispatch_uid="tests-server-requests-end")
    try:
        yield counter
    finally:
        signals.request_started.disconnect(dispatch_uid="tests-server-requests-start")
        signals.request_finished.disconnect(dispatch_uid="tests-server-requests-end")


def together(
    count: int, *, prepare: Callable[[int], Any], act: Callable[[int, Any], Any]
) -> list[Any]:
    """`act(index, prepare(index))` in `count` threads: each prepares (connects, typically),
    then a barrier releases them all at once. Each result or exception, in order."""
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        try:
            prepared = prepare(index)
            barrier.wait(timeout=60)
            results[index] = act(index, prepared)
        except BaseException as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not any(thread.is_alive() for thread in threads), "a client thread is stuck"
    return results


def rows_changed(before: Snapshot, after: Snapshot) -> dict[str, tuple[int, int]]:
    """Per table that changed: (rows added, rows updated), from two database snapshots."""
    changed = {}
    for table, rows in after.rows.items():
        old = {row[0]: row for row in before.rows.get(table, [])}
        added = sum(1 for row in rows if row[0] not in old)
        updated = sum(1 for row in rows if row[0] in old and old[row[0]] != row)
        removed = len(old) - (len(rows) - added)
        assert removed == 0, f"{removed} rows of {table} were deleted"
        if added or updated:
            changed[table] = (added, updated)
    return changed
