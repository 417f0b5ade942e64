"""Stripe Checkout Sessions in payment mode, on the official SDK (`stripe`).

- **Create**: one line for the amount (`unit_amount` in minor units: Stripe's unit is ours, no
  conversion), `client_reference_id` our reference, `success_url` and `cancel_url` our return
  address, an expiry an hour away. Every POST carries an idempotency key derived from our
  reference, so a retried creation or refund answers with the first one's result.
- **Webhooks**: verified with `Stripe-Signature` (HMAC-SHA256 over `<timestamp>.<body>` with the
  endpoint's signing secret, `stripe.Webhook.construct_event`) and its tolerance of five
  minutes; a forged or stale one is refused. `checkout.session.completed` pays when the session
  says `payment_status: paid`; a delayed method is settled later by
  `checkout.session.async_payment_succeeded` or `..._failed`; `checkout.session.expired` ends it.
  The signed event carries the session, so its amount and currency are checked against ours.
- **Status**: the session, with its payment intent expanded (a completed session whose delayed
  payment failed still says `unpaid`: the intent says it failed).
- **Refunds**: `POST /v1/refunds` on the session's payment intent, for the amount; `succeeded`
  is the confirmation, `pending` is asked again later.
"""

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import stripe
from django.conf import settings
from django.utils import timezone
from django_stubs_ext import StrOrPromise

from ardoise.core.money import MAX_AMOUNT
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
from ardoise.payments.providers.stripe.http import OutboundStripeClient

SIGNATURE_HEADER = "Stripe-Signature"
TOLERANCE_SECONDS = 300
SESSION_LIFETIME = dt.timedelta(hours=1)
SHORTEST_LIFETIME = dt.timedelta(minutes=30, seconds=30)

_EVENT_STATUSES = {
    "checkout.session.async_payment_succeeded": ProviderStatus.APPROVED,
    "checkout.session.async_payment_failed": ProviderStatus.DECLINED,
    "checkout.session.expired": ProviderStatus.EXPIRED,
}
_REFUND_OUTCOMES = {
    "succeeded": RefundOutcome.CONFIRMED,
    "pending": RefundOutcome.PENDING,
    "requires_action": RefundOutcome.PENDING,
    "failed": RefundOutcome.REFUSED,
    "canceled": RefundOutcome.REFUSED,
}


def session_status(session: Mapping[str, Any]) -> str:
    """Ardoise's word for a Checkout Session as Stripe describes it."""
    if session.get("status") == "expired":
        return ProviderStatus.EXPIRED
    if session.get("status") != "complete":
        return ProviderStatus.PENDING
    if session.get("payment_status") in {"paid", "no_payment_required"}:
        return ProviderStatus.APPROVED
    intent = session.get("payment_intent")
    if isinstance(intent, Mapping) and intent.get("status") in {
        "canceled",
        "requires_payment_method",
    }:
        return ProviderStatus.DECLINED
    return ProviderStatus.PENDING


class StripeProvider:
    code = "stripe"
    label: StrOrPromise = "Stripe"
    is_test = False

    def __init__(self, *, api_key: str, webhook_secret: str) -> None:
        self._api_key = api_key
        self._webhook_secret = webhook_secret

    def __repr__(self) -> str:  # never the key
        return "<StripeProvider>"

    def _client(self) -> stripe.StripeClient:
        return stripe.StripeClient(
            self._api_key,
            base_addresses={"api": settings.STRIPE_API_BASE},
            http_client=OutboundStripeClient(),
            max_network_retries=0,
        )

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
        # Stripe takes an expiry 30 minutes away at least: an earlier one (a portal order's)
        # is moved to that, and a payment in the minutes between is listed for the owner.
        soonest = timezone.now() + SHORTEST_LIFETIME
        expires = max(expires_at, soonest) if expires_at else timezone.now() + SESSION_LIFETIME
        try:
            session = self._client().v1.checkout.sessions.create(
                {
                    "mode": "payment",
                    "line_items": [
                        {
                            "quantity": 1,
                            "price_data": {
                                "currency": currency.lower(),
                                "unit_amount": amount,
                                "product_data": {"name": description[:100] or reference},
                            },
                        }
                    ],
                    "client_reference_id": reference,
                    "metadata": {"ardoise_reference": reference},
                    "success_url": return_url,
                    "cancel_url": return_url,
                    "expires_at": int(expires.timestamp()),
                },
                {"idempotency_key": f"{reference}:create"},
            )
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe: {_reason(error)}") from error
        if session.amount_total != amount or not session.url:
            raise ProviderError("Stripe opened the session for another amount")
        return CheckoutSession(provider_checkout_id=session.id, redirect_url=session.url)

    def read_checkout(self, *, provider_checkout_id: str) -> CheckoutState:
        try:
            session = self._client().v1.checkout.sessions.retrieve(
                provider_checkout_id, {"expand": ["payment_intent"]}
            )
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe: {_reason(error)}") from error
        data = session.to_dict()
        return CheckoutState(
            provider_checkout_id=session.id,
            status=session_status(data),
            amount=_amount(data.get("amount_total")),
            currency=str(data.get("currency") or "").upper(),
            raw=json.dumps(data, default=str),
        )

    def parse_confirmation(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation:
        if not self._webhook_secret:
            raise InvalidConfirmation("no signing secret: Stripe webhooks are not taken")
        try:
            event = stripe.Webhook.construct_event(
                body, headers.get(SIGNATURE_HEADER), self._webhook_secret, TOLERANCE_SECONDS
            )
        except stripe.SignatureVerificationError as error:
            raise InvalidConfirmation("bad or stale signature") from error
        except ValueError as error:
            raise InvalidConfirmation("malformed event") from error
        session = event.data.object.to_dict()
        if not event.type.startswith("checkout.session.") or session.get("object") != (
            "checkout.session"
        ):
            return Confirmation(event_id=event.id, provider_checkout_id="", status="")
        if event.type == "checkout.session.completed":
            status = session_status(session)
        else:
            status = _EVENT_STATUSES.get(event.type, ProviderStatus.PENDING)
        return Confirmation(
            event_id=event.id,
            provider_checkout_id=str(session.get("id", "")),
            status=status,
            amount=_amount(session.get("amount_total")),
            currency=str(session.get("currency") or "").upper(),
        )

    def _payment_intent(self, client: stripe.StripeClient, provider_checkout_id: str) -> str:
        session = client.v1.checkout.sessions.retrieve(provider_checkout_id)
        intent: Any = session.payment_intent
        intent_id = (
            getattr(intent, "id", None) if intent and not isinstance(intent, str) else intent
        )
        if not intent_id:
            raise ProviderError("Stripe: this session has no payment to refund")
        return str(intent_id)

    def refund(
        self, *, provider_checkout_id: str, amount: int, currency: str, reference: str
    ) -> RefundResult:
        client = self._client()
        try:
            intent = self._payment_intent(client, provider_checkout_id)
        except (stripe.StripeError, ProviderError) as error:
            return RefundResult(RefundOutcome.REFUSED, message=_message(error))
        return self._create_refund(client, intent, amount, reference)

    def _create_refund(
        self, client: stripe.StripeClient, intent: str, amount: int, reference: str
    ) -> RefundResult:
        try:
            refund = client.v1.refunds.create(
                {
                    "payment_intent": intent,
                    "amount": amount,
                    "metadata": {"ardoise_reference": reference},
                },
                {"idempotency_key": f"{reference}:refund"},
            )
        except (stripe.APIConnectionError, stripe.RateLimitError):
            return RefundResult(RefundOutcome.UNKNOWN)
        except stripe.StripeError as error:
            if error.http_status is not None and error.http_status >= 500:
                return RefundResult(RefundOutcome.UNKNOWN)
            return RefundResult(RefundOutcome.REFUSED, message=_message(error))
        return _refund_result(refund)

    def read_refund(
        self,
        *,
        provider_checkout_id: str,
        provider_refund_id: str,
        reference: str,
        amount: int,
        refunded_before: int,
    ) -> RefundResult:
        client = self._client()
        if not provider_refund_id:  # no answer came: the same key gives the first one's result
            try:
                intent = self._payment_intent(client, provider_checkout_id)
            except (stripe.StripeError, ProviderError):
                return RefundResult(RefundOutcome.UNKNOWN)
            return self._create_refund(client, intent, amount, reference)
        try:
            refund = client.v1.refunds.retrieve(provider_refund_id)
        except stripe.StripeError:
            return RefundResult(RefundOutcome.UNKNOWN, provider_refund_id=provider_refund_id)
        return _refund_result(refund)

    def check_connection(self) -> None:
        try:
            self._client().v1.accounts.retrieve_current()
        except stripe.StripeError as error:
            raise ProviderError(f"Stripe: {_reason(error)}") from error


def _refund_result(refund: stripe.Refund) -> RefundResult:
    outcome = _REFUND_OUTCOMES.get(str(refund.status), RefundOutcome.PENDING)
    return RefundResult(outcome, provider_refund_id=str(refund.id))


def _amount(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_AMOUNT:
        raise ProviderError("Stripe answered without a whole amount")
    return int(value)


def _reason(error: stripe.StripeError) -> str:
    if isinstance(error, stripe.APIConnectionError):
        return "no answer (timed out or unreachable)"
    status = f"HTTP {error.http_status}: " if error.http_status else ""
    return (status + (error.user_message or type(error).__name__))[:150]


def _message(error: Exception) -> str:
    return f"Stripe: {_reason(error)}" if isinstance(error, stripe.StripeError) else str(error)
