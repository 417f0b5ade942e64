"""The TEST payment provider: no money moves. For trying Ardoise and for its tests.

Its "hosted checkout" is a local page (`payments:test_checkout`, in `payments/views.py`)
with two buttons, Approve and Decline. Pressing one makes a confirmation signed with a key
derived from SECRET_KEY, exactly as a real provider would post to our webhook, and hands it to
`payments.online.receive_confirmation`.
Its state is the confirmations Ardoise has stored, so `read_checkout` reads them back; a refund
is confirmed at once (there is no money to give back).
"""

import datetime as dt
import json
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

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

SIGNATURE_HEADER = "X-Test-Provider-Signature"
_SALT = "ardoise.payments.test-provider"


def sign(body: bytes) -> str:
    return salted_hmac(_SALT, body, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


class TestProvider:
    code = "test"
    label: StrOrPromise = _("Test provider (no real money)")
    is_test = True

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
        checkout_id = "test_" + secrets.token_urlsafe(24)
        path = reverse("payments:test_checkout", kwargs={"checkout_id": checkout_id})
        return CheckoutSession(provider_checkout_id=checkout_id, redirect_url=path)

    def make_confirmation(
        self, *, provider_checkout_id: str, approve: bool, amount: int, currency: str
    ) -> tuple[bytes, dict[str, str]]:
        """What the test provider "posts" when the payer presses Approve or Decline."""
        body = json.dumps(
            {
                "event_id": "evt_" + secrets.token_hex(12),
                "checkout_id": provider_checkout_id,
                "status": "approved" if approve else "declined",
                "amount": amount,
                "currency": currency,
            },
            sort_keys=True,
        ).encode()
        return body, {SIGNATURE_HEADER: sign(body)}

    def parse_confirmation(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation:
        signature = headers.get(SIGNATURE_HEADER, "")
        if not signature or not constant_time_compare(signature, sign(body)):
            raise InvalidConfirmation("bad signature")
        try:
            data = json.loads(body)
            confirmation = Confirmation(
                event_id=str(data["event_id"]),
                provider_checkout_id=str(data["checkout_id"]),
                status=str(data["status"]),
                amount=data["amount"],
                currency=str(data["currency"]),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise InvalidConfirmation("malformed confirmation") from error
        if (
            confirmation.status not in {"approved", "declined"}
            or type(confirmation.amount) is not int
        ):
            raise InvalidConfirmation("malformed confirmation")
        return confirmation

    def read_checkout(self, *, provider_checkout_id: str) -> CheckoutState:
        from ardoise.payments.models import Checkout, ProviderEvent

        checkout = Checkout.objects.filter(
            provider=self.code, provider_checkout_id=provider_checkout_id
        ).first()
        if checkout is None:
            raise ProviderError("no such test checkout")
        statuses = [
            json.loads(payload)["status"]
            for payload in ProviderEvent.objects.filter(
                provider=self.code, checkout=checkout, event_id__startswith="evt_"
            )
            .order_by("id")
            .values_list("payload", flat=True)
        ]
        status = (
            ProviderStatus.APPROVED
            if ProviderStatus.APPROVED in statuses
            else (statuses[-1] if statuses else ProviderStatus.PENDING)
        )
        return CheckoutState(
            provider_checkout_id=provider_checkout_id,
            status=status,
            amount=checkout.amount,
            currency=checkout.currency,
        )

    def refund(
        self, *, provider_checkout_id: str, amount: int, currency: str, reference: str
    ) -> RefundResult:
        return RefundResult(outcome=RefundOutcome.CONFIRMED, provider_refund_id=reference)

    def read_refund(
        self,
        *,
        provider_checkout_id: str,
        provider_refund_id: str,
        reference: str,
        amount: int,
        refunded_before: int,
    ) -> RefundResult:
        return RefundResult(outcome=RefundOutcome.CONFIRMED, provider_refund_id=reference)

    def check_connection(self) -> None:
        return None
