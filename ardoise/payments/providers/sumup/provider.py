"""SumUp hosted checkouts, on the official SDK (`sumup`) and Ardoise's outbound HTTP client.

- **Create**: `POST /v0.1/checkouts` with `hosted_checkout: {"enabled": true}`; the payer goes to
  the `hosted_checkout_url` SumUp answers with, and comes back to our `redirect_url`. The
  `checkout_reference` is unique to one Ardoise checkout and the same on every attempt: a retry
  of a creation that reached SumUp gets `409 DUPLICATED_CHECKOUT`, and the checkout it had made
  is then read by its reference, so a retry never opens a second one.
- **Amounts** are in major units in SumUp's API. Out, the exact `Decimal` of the minor units
  (`core.money.to_decimal`), which the outbound client writes as a JSON number digit for digit:
  no float is ever made. Back, the SDK has parsed the number into a float; any decimal of up to
  15 significant digits survives that exactly and `repr` gives its shortest decimal form back,
  so `Decimal(repr(value))` is the number SumUp wrote (Ardoise's amounts have at most 13 digits,
  `core.money.MAX_AMOUNT`); `to_minor` refuses anything finer than a cent.
- **Notifications** say only that a checkout changed. With a signing secret on the account,
  every notification must carry a valid `X-SumUp-Webhook-Signature` (HMAC-SHA256 over
  `v1:<timestamp>:<body>`, five minutes' tolerance: the SDK's `EventsHandler.parse`), and
  checkouts are created without a callback address. Without one, checkouts are created with the
  shop's webhook address as `return_url` and SumUp posts unsigned `CHECKOUT_STATUS_CHANGED`
  callbacks there. Either way, **the checkout is read from the API before anything is
  recorded** (SumUp's own advice), so a forged or stale notification can at most make us ask.
- **Refunds**: `POST /v1.0/merchants/{merchant}/payments/{transaction}/refunds`; its `201` is the
  confirmation. That call has no idempotency key, so it is never retried after it may have
  reached SumUp: an unanswered one is settled by reading the transaction's refund events.
"""

import datetime as dt
import json
import time
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import httpx
from django.conf import settings
from django.utils import timezone
from django_stubs_ext import StrOrPromise
from sumup import EventsHandler, Sumup
from sumup.checkouts import CheckoutsResource
from sumup.errors import APIConnectionError, APIError, APIStatusError, ConflictError
from sumup.events import EventError, EventSignatureExpiredError
from sumup.merchants import MerchantsResource
from sumup.transactions import TransactionsResource

from ardoise.core.http import OutboundClient, outbound_client
from ardoise.core.money import MAX_AMOUNT, MoneyError, to_decimal, to_minor
from ardoise.payments.providers.base import (
    CheckoutSession,
    CheckoutState,
    Confirmation,
    InvalidConfirmation,
    ProviderError,
    ProviderStatus,
    RefundOutcome,
    RefundResult,
)

SIGNATURE_HEADER = "X-SumUp-Webhook-Signature"
CHECKOUT_LIFETIME = dt.timedelta(hours=1)

_STATUSES = {
    "PENDING": ProviderStatus.PENDING,
    "PAID": ProviderStatus.APPROVED,
    "FAILED": ProviderStatus.DECLINED,
    "EXPIRED": ProviderStatus.EXPIRED,
}


def _replay_safe(request: httpx.Request) -> bool:
    """Reads, and the checkout creation (its reference makes a second one a 409). Never a
    refund: SumUp's has no key, and a second one would give the money back twice."""
    return request.method in {"GET", "HEAD"} or (
        request.method == "POST" and request.url.path.rstrip("/").endswith("/v0.1/checkouts")
    )


def exact_minor(value: Any, currency: str) -> int:
    """Minor units of an amount the SDK parsed from SumUp's JSON (see the module docstring)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ProviderError("SumUp answered without an amount")
    try:
        minor = to_minor(Decimal(repr(value)) if isinstance(value, float) else value, currency)
    except MoneyError as error:
        raise ProviderError("SumUp answered an amount that is not whole cents") from error
    if not 0 <= minor < MAX_AMOUNT:
        raise ProviderError("SumUp answered an amount out of bounds")
    return minor


class SumUpProvider:
    code = "sumup"
    label: StrOrPromise = "SumUp"
    is_test = False

    def __init__(
        self, *, api_key: str, merchant_code: str, webhook_secret: str, notify_url: str
    ) -> None:
        self._api_key = api_key
        self.merchant_code = merchant_code
        self._webhook_secret = webhook_secret
        self.notify_url = notify_url

    def __repr__(self) -> str:  # never the key
        return f"<SumUpProvider {self.merchant_code}>"

    def _client(self) -> OutboundClient:
        return outbound_client(
            base_url=settings.SUMUP_API_BASE,
            headers={
                "Accept": "application/problem+json, application/json",
                "User-Agent": f"sumup-py/{Sumup.version()} ardoise",
                "Authorization": f"Bearer {self._api_key}",
            },
            replay_safe=_replay_safe,
        )

    # --- Checkouts ----------------------------------------------------------------------------

    def create_checkout(
        self,
        *,
        amount: int,
        currency: str,
        reference: str,
        return_url: str,
        description: str,
        expires_at: dt.datetime | None = None,
    ) -> CheckoutSession:
        options: dict[str, Any] = {}
        if not self._webhook_secret:  # no signed events: SumUp calls this address back
            options["return_url"] = self.notify_url
        with self._client() as client:
            checkouts = CheckoutsResource(client)
            try:
                created = checkouts.create(
                    checkout_reference=reference,
                    amount=to_decimal(amount, currency),
                    currency=currency,
                    merchant_code=self.merchant_code,
                    description=description[:100],
                    redirect_url=return_url,
                    hosted_checkout={"enabled": True},
                    valid_until=expires_at or timezone.now() + CHECKOUT_LIFETIME,
                    **options,
                )
            except ConflictError:  # a retry of a creation that reached SumUp: find that one
                created = self._by_reference(checkouts, reference)
            except APIError as error:
                raise ProviderError(f"SumUp: {_reason(error)}") from error
        if created.amount is not None and exact_minor(created.amount, currency) != amount:
            raise ProviderError("SumUp opened the checkout for another amount")
        if not created.id or not created.hosted_checkout_url:
            raise ProviderError("SumUp answered without a hosted checkout address")
        return CheckoutSession(
            provider_checkout_id=str(created.id), redirect_url=str(created.hosted_checkout_url)
        )

    @staticmethod
    def _by_reference(checkouts: CheckoutsResource, reference: str) -> Any:
        try:
            found = checkouts.list(checkout_reference=reference)
        except APIError as error:
            raise ProviderError(f"SumUp: {_reason(error)}") from error
        for checkout in found:
            if checkout.checkout_reference == reference:
                return checkout
        raise ProviderError("SumUp refused the reference but lists no checkout for it")

    def read_checkout(self, *, provider_checkout_id: str) -> CheckoutState:
        with self._client() as client:
            try:
                checkout = CheckoutsResource(client).get(provider_checkout_id)
            except APIError as error:
                raise ProviderError(f"SumUp: {_reason(error)}") from error
        if checkout.merchant_code not in (None, self.merchant_code):
            raise ProviderError("SumUp: the checkout belongs to another merchant")
        currency = str(checkout.currency or "")
        return CheckoutState(
            provider_checkout_id=str(checkout.id or provider_checkout_id),
            status=_STATUSES.get(str(checkout.status), ProviderStatus.PENDING),
            amount=exact_minor(checkout.amount, currency or "EUR"),
            currency=currency,
            raw=checkout.model_dump_json(exclude_none=True),
        )

    # --- Notifications ------------------------------------------------------------------------

    def parse_confirmation(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation:
        if self._webhook_secret:
            return self._signed_event(body, headers.get(SIGNATURE_HEADER))
        return self._callback(body)

    def _signed_event(self, body: bytes, signature: str | None) -> Confirmation:
        with self._client() as client:
            handler = EventsHandler(
                secret=self._webhook_secret, fallback=lambda _event: None, client=client
            )
            try:
                event = handler.parse(body, signature)
            except EventSignatureExpiredError as error:
                raise InvalidConfirmation("stale signature") from error
            except EventError as error:
                raise InvalidConfirmation(f"refused: {error}") from error
        checkout_id = event.object.id if event.object.type == "checkout" else ""
        return Confirmation(event_id=event.id, provider_checkout_id=checkout_id, status="")

    def _callback(self, body: bytes) -> Confirmation:
        """An unsigned `{"event_type": "CHECKOUT_STATUS_CHANGED", "id": "<checkout>"}`. The
        event id keeps one delivery a second per checkout: replays at once are one row, and a
        later one (a later change) is read again."""
        try:
            data = json.loads(body)
            checkout_id = str(data["id"]) if data.get("event_type") else str(data["object"]["id"])
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise InvalidConfirmation("malformed notification") from error
        if not checkout_id or len(checkout_id) > 100:
            raise InvalidConfirmation("malformed notification")
        event_id = f"callback:{checkout_id}:{int(time.time())}"
        return Confirmation(event_id=event_id, provider_checkout_id=checkout_id, status="")

    # --- Refunds ------------------------------------------------------------------------------

    def _transaction_id(self, client: OutboundClient, provider_checkout_id: str) -> str:
        checkout = CheckoutsResource(client).get(provider_checkout_id)
        for transaction in checkout.transactions or []:
            if transaction.status == "SUCCESSFUL" and transaction.id:
                return str(transaction.id)
        if checkout.transaction_id:
            return str(checkout.transaction_id)
        raise ProviderError("SumUp: this checkout has no successful payment to refund")

    def refund(
        self, *, provider_checkout_id: str, amount: int, currency: str, reference: str
    ) -> RefundResult:
        with self._client() as client:
            try:
                transaction_id = self._transaction_id(client, provider_checkout_id)
            except APIError as error:
                return RefundResult(RefundOutcome.REFUSED, message=f"SumUp: {_reason(error)}")
            except ProviderError as error:
                return RefundResult(RefundOutcome.REFUSED, message=str(error))
            try:
                TransactionsResource(client).refund(
                    self.merchant_code, transaction_id, amount=to_decimal(amount, currency)
                )
            except APIConnectionError:  # a timeout too: it may have reached SumUp
                return RefundResult(RefundOutcome.UNKNOWN, provider_refund_id=transaction_id)
            except APIStatusError as error:
                if error.status is not None and error.status >= 500:
                    return RefundResult(RefundOutcome.UNKNOWN, provider_refund_id=transaction_id)
                return RefundResult(
                    RefundOutcome.REFUSED,
                    provider_refund_id=transaction_id,
                    message=f"SumUp: {_reason(error)}",
                )
        return RefundResult(RefundOutcome.CONFIRMED, provider_refund_id=transaction_id)

    def read_refund(
        self,
        *,
        provider_checkout_id: str,
        provider_refund_id: str,
        reference: str,
        amount: int,
        refunded_before: int,
    ) -> RefundResult:
        """Whether the transaction's refunds now include this one: more than `refunded_before`
        (what Ardoise had confirmed) by `amount`: confirmed; nothing more: it never happened."""
        with self._client() as client:
            try:
                transaction_id = provider_refund_id or self._transaction_id(
                    client, provider_checkout_id
                )
                transaction = TransactionsResource(client).get(
                    self.merchant_code, id=transaction_id
                )
            except (APIError, ProviderError):
                return RefundResult(RefundOutcome.UNKNOWN, provider_refund_id=provider_refund_id)
        currency = str(transaction.currency or "EUR")
        refunded = sum(
            exact_minor(event.amount, currency)
            for event in transaction.events or []
            if event.type == "REFUND" and event.status != "FAILED" and event.amount is not None
        )
        if refunded >= refunded_before + amount:
            return RefundResult(RefundOutcome.CONFIRMED, provider_refund_id=transaction_id)
        if refunded <= refunded_before:
            return RefundResult(
                RefundOutcome.REFUSED,
                provider_refund_id=transaction_id,
                message="SumUp has no record of this refund: nothing was given back",
            )
        return RefundResult(RefundOutcome.UNKNOWN, provider_refund_id=transaction_id)

    # --- Settings -----------------------------------------------------------------------------

    def check_connection(self) -> None:
        with self._client() as client:
            try:
                MerchantsResource(client).get(self.merchant_code)
            except APIError as error:
                raise ProviderError(f"SumUp: {_reason(error)}") from error


def _reason(error: APIError) -> str:
    """What went wrong, for a person: the status and SumUp's message, never a header."""
    if isinstance(error, APIConnectionError):
        return "no answer (timed out or unreachable)"
    return str(error)[:150]
