"""The one outbound HTTP client, against a real server on 127.0.0.1: timeouts, bounded retries
only where sending twice is harmless, exact JSON for amounts; and secrets at rest."""

import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

from ardoise.core.encryption import decrypt, encrypt
from ardoise.core.http import exact_json, outbound_client
from ardoise.core.money import MAX_AMOUNT, to_decimal
from ardoise.payments.providers.sumup.provider import exact_minor


class _Server:
    """Answers each request with the next of `answers`: a status, or "slow" (too late)."""

    def __init__(self, answers: list[Any]) -> None:
        self.answers = list(answers)
        self.seen: list[tuple[str, bytes]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                return

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.seen.append((self.command, body))
                answer = server.answers.pop(0) if server.answers else 200
                if answer == "slow":
                    time.sleep(1.0)
                    answer = 200
                self.send_response(answer)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            do_GET = do_POST = _any

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.http.server_address[1]}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server():  # type: ignore[no-untyped-def]
    def start(*answers: Any) -> _Server:
        started.append(_Server(list(answers)))
        return started[-1]

    started: list[_Server] = []
    with override_settings(HTTP_TIMEOUT_SECONDS=0.3, HTTP_RETRIES=2):
        yield start
    for each in started:
        each.close()


def test_a_read_is_retried_on_503_and_a_timeout_within_the_bound(server) -> None:  # type: ignore[no-untyped-def]
    remote = server(503, "slow", 200)
    with outbound_client(base_url=remote.url) as client:
        response = client.get("/status")
    assert response.status_code == 200
    assert len(remote.seen) == 3


def test_retries_stop_at_the_bound(server) -> None:  # type: ignore[no-untyped-def]
    remote = server(503, 503, 503, 503)
    with outbound_client(base_url=remote.url) as client:
        response = client.get("/status")
    assert response.status_code == 503
    assert len(remote.seen) == 3  # HTTP_RETRIES=2: three attempts, no more


def test_a_write_without_a_key_is_sent_once_whatever_happens(server) -> None:  # type: ignore[no-untyped-def]
    remote = server("slow", 503)
    with outbound_client(base_url=remote.url) as client, pytest.raises(httpx.ReadTimeout):
        client.post("/refunds", json={"amount": Decimal("5.00")})
    assert len(remote.seen) == 1
    with outbound_client(base_url=remote.url) as client:
        assert client.post("/refunds", json={}).status_code == 503
    assert len(remote.seen) == 2


def test_a_write_with_an_idempotency_key_is_retried_the_same(server) -> None:  # type: ignore[no-untyped-def]
    remote = server("slow", 200)
    with outbound_client(base_url=remote.url) as client:
        response = client.post("/sessions", content=b"a=1", headers={"Idempotency-Key": "k1"})
    assert response.status_code == 200
    assert [body for _method, body in remote.seen] == [b"a=1", b"a=1"]


def test_a_500_is_an_answer_not_retried(server) -> None:  # type: ignore[no-untyped-def]
    remote = server(500)
    with outbound_client(base_url=remote.url) as client:
        assert client.get("/status").status_code == 500
    assert len(remote.seen) == 1


def test_no_server_at_all_is_a_connection_error_after_the_bounded_attempts() -> None:
    with (
        override_settings(HTTP_RETRIES=1),
        outbound_client(base_url="http://127.0.0.1:9") as client,
        pytest.raises(httpx.ConnectError),
    ):
        client.get("/")


def test_json_bodies_write_decimals_exactly_and_refuse_floats() -> None:
    assert exact_json({"amount": Decimal("75.50"), "n": [1, "é"]}) == '{"amount":75.50,"n":[1,"é"]}'
    with pytest.raises(TypeError):
        exact_json({"amount": 75.5})


@given(st.integers(min_value=0, max_value=MAX_AMOUNT - 1))
def test_every_amount_goes_to_sumup_and_back_exactly(minor: int) -> None:
    text = exact_json(to_decimal(minor, "EUR"))
    assert Decimal(text) == Decimal(minor) / 100
    parsed = float(text)  # what SumUp's SDK makes of the number it reads back
    assert exact_minor(parsed, "EUR") == minor


def test_a_secret_at_rest_is_not_the_secret() -> None:
    token = encrypt("sk_live_very_secret")
    assert "sk_live_very_secret" not in token
    assert decrypt(token) == "sk_live_very_secret"
