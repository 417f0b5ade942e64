"""The TEST payment provider: no money moves. For trying Ardoise and for its tests.

Its "hosted checkout" is a local page (`payments:test_checkout`, in `payments/views.py`)
with two buttons, Approve and Decline. Pressing one makes a confirmation signed with a key
derived from SECRET_KEY, exactly as a real provider would post to our webhook, and hands it to
`payments.online.receive_confirmation`.
Its state is the confirmations Ardoise has stored, so `fetch_status` reads them back.
"""

import json
import secrets
from collections.abc import Mapping

from django.conf import settings
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.payments.providers.base import CheckoutSession, Confirmation, InvalidConfirmation

SIGNATURE_HEADER = "X-Test-Provider-Signature"
_SALT = "ardoise.payments.test-provider"


def sign(body: bytes) -> str:
    return salted_hmac(_SALT, body, secret=settings.SECRET_KEY, algorithm="sha256").hexdigest()


class TestProvider:
    code = "test"
    label: StrOrPromise = _("Test provider (no real money)")
    is_test = True

    def create_checkout(
        self, *, amount: int, currency: str, reference: str, return_url: str
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

    def fetch_status(self, *, provider_checkout_id: str) -> str:
        from ardoise.payments.models import ProviderEvent

        events = ProviderEvent.objects.filter(
            provider=self.code, checkout__provider_checkout_id=provider_checkout_id
        ).order_by("id")
        statuses = [json.loads(event.payload)["status"] for event in events]
        return "approved" if "approved" in statuses else (statuses[-1] if statuses else "pending")
