"""The Stripe SDK's HTTP client, on Ardoise's one outbound client (`core.http`).

The SDK lets a caller give it the object that sends its requests (`http_client=`). This one hands
each request to `core.http.outbound_client`, so Stripe calls get the same timeouts and the same
bounded retries as every other outbound call. The SDK's own retries stay off
(`max_network_retries=0`): retrying in two places would multiply the attempts. Every POST
Ardoise makes carries an idempotency key derived from its reference, which is what lets the
outbound client send it again.
"""

from collections.abc import Mapping
from typing import Any

import httpx
import stripe

from ardoise.core.http import outbound_client


class OutboundStripeClient(stripe.HTTPClient):
    name = "ardoise"

    def request(
        self,
        method: str,
        url: str,
        headers: Mapping[str, str] | None,
        post_data: Any = None,
        *,
        _usage: list[str] | None = None,
    ) -> tuple[str, int, Mapping[str, str]]:
        try:
            with outbound_client() as client:
                response = client.request(
                    method.upper(), url, headers=dict(headers or {}), content=post_data
                )
        except httpx.TimeoutException as error:
            raise _connection_error("Stripe did not answer in time.") from error
        except httpx.HTTPError as error:
            raise _connection_error(
                f"Stripe could not be reached ({type(error).__name__})."
            ) from error
        return response.text, response.status_code, response.headers


def _connection_error(message: str) -> stripe.APIConnectionError:
    """What the SDK expects of its HTTP client when there is no answer. `should_retry` stays
    off: the outbound client has already retried what could be retried."""
    error: stripe.APIConnectionError = stripe.APIConnectionError(  # type: ignore[no-untyped-call]
        message, should_retry=False
    )
    return error
