"""The one outbound HTTP client: every call to a payment provider goes through it.

- **Timeouts** on every call (`settings.HTTP_TIMEOUT_SECONDS` to connect, read, write and wait
  for a pooled connection). Redirects are not followed.
- **Bounded retries** (`settings.HTTP_RETRIES` more attempts, short exponential back-off): a
  request that never reached the server (connection refused, connect timeout) is always tried
  again; a request that may have reached it (a read timeout, a dropped connection, an answer of
  502, 503, 504 or 429) is tried again only when sending it twice is harmless: a GET or HEAD,
  a request carrying an `Idempotency-Key`, or one the caller's `replay_safe` says is (SumUp's
  checkout creation, whose reference the provider refuses to reuse). A 500 is an answer, not
  retried. Everything else is the caller's to handle.
- **While a person waits** (`while_a_page_waits()`: a customer's page asking the provider how
  its checkout stands), `settings.HTTP_PAGE_TIMEOUT_SECONDS` instead (never more than the
  other) and no retry: the page is answered, with what Ardoise knows, within a few seconds of a
  provider that is slow; the notification and the reconciliation, with the full timeout and
  retries, end the checkout anyway.
- **Exact JSON**: `Decimal` values are written as JSON numbers digit for digit and floats are
  refused, so an amount never passes through a float on its way out.

Logs say which call was retried (method, host and path), never headers or bodies: they hold API
keys and amounts.
"""

import contextlib
import json
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings

logger = logging.getLogger(__name__)

RETRIED_STATUSES = frozenset({429, 502, 503, 504})
MAX_BACKOFF_SECONDS = 2.0

ReplaySafe = Callable[[httpx.Request], bool]

# Set by `while_a_page_waits`: the calls made in this context are answered or given up quickly.
_page_waits: ContextVar[bool] = ContextVar("ardoise_http_page_waits", default=False)


@contextlib.contextmanager
def while_a_page_waits() -> Iterator[None]:
    """Outbound calls inside this block are made for a page a person is waiting for: the short
    `HTTP_PAGE_TIMEOUT_SECONDS` and no retry (see the module docstring)."""
    token = _page_waits.set(True)
    try:
        yield
    finally:
        _page_waits.reset(token)


def idempotent_request(request: httpx.Request) -> bool:
    """Safe to send twice: a read, or a write the server de-duplicates by its key."""
    return request.method in {"GET", "HEAD"} or "Idempotency-Key" in request.headers


def exact_json(value: Any) -> str:
    """JSON text of `value` with every Decimal written exactly; a float is refused."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError("not a finite amount")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats are not sent: use Decimal for amounts")
    if isinstance(value, Mapping):
        items = (json.dumps(str(key)) + ":" + exact_json(item) for key, item in value.items())
        return "{" + ",".join(items) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(exact_json(item) for item in value) + "]"
    return json.dumps(value, ensure_ascii=False)


class RetryingTransport(httpx.BaseTransport):
    """Sends a request, and again (a bounded number of times) when that is safe and useful."""

    def __init__(
        self,
        *,
        retries: int,
        replay_safe: ReplaySafe = idempotent_request,
        wrapped: httpx.BaseTransport | None = None,
    ) -> None:
        self.retries = max(0, retries)
        self.replay_safe = replay_safe
        self.wrapped = wrapped or httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body is sent again as it was
        attempt = 0
        while True:
            try:
                response = self.wrapped.handle_request(request)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout):
                if attempt >= self.retries:
                    raise
                self._wait(request, attempt, "no connection")
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError):
                if attempt >= self.retries or not self.replay_safe(request):
                    raise
                self._wait(request, attempt, "no answer")
            else:
                if (
                    response.status_code not in RETRIED_STATUSES
                    or attempt >= self.retries
                    or not self.replay_safe(request)
                ):
                    return response
                response.close()
                self._wait(request, attempt, f"HTTP {response.status_code}")
            attempt += 1

    def _wait(self, request: httpx.Request, attempt: int, why: str) -> None:
        delay = min(0.1 * 2**attempt, MAX_BACKOFF_SECONDS)
        logger.warning(
            "retrying %s %s%s (%s), attempt %d",
            request.method,
            request.url.host,
            request.url.path,
            why,
            attempt + 2,
        )
        time.sleep(delay)

    def close(self) -> None:
        self.wrapped.close()


class OutboundClient(httpx.Client):
    """httpx.Client whose `json=` bodies are written by `exact_json`."""

    def build_request(self, method: str, url: Any, **kwargs: Any) -> httpx.Request:
        body = kwargs.pop("json", None)
        if body is not None:
            kwargs["content"] = exact_json(body).encode("utf-8")
            headers = httpx.Headers(kwargs.get("headers") or {})
            headers["Content-Type"] = "application/json"
            kwargs["headers"] = headers
        return super().build_request(method, url, **kwargs)


def outbound_client(
    *,
    base_url: str = "",
    headers: Mapping[str, str] | None = None,
    replay_safe: ReplaySafe = idempotent_request,
) -> OutboundClient:
    """A client for one provider account: its base URL and headers, our timeouts and retries.
    Close it when done (or use it as a context manager)."""
    timeout, retries = settings.HTTP_TIMEOUT_SECONDS, settings.HTTP_RETRIES
    if _page_waits.get():
        timeout, retries = min(timeout, settings.HTTP_PAGE_TIMEOUT_SECONDS), 0
    return OutboundClient(
        base_url=base_url,
        headers=dict(headers or {}),
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        transport=RetryingTransport(retries=retries, replay_safe=replay_safe),
    )
