"""What every payment provider is: the protocol it implements, what it returns, how it fails.

Provider implementations (`providers/<name>/`) import this module, never the registry that
imports them. Amounts cross this interface as integers of minor units; each provider converts
them to its API's unit exactly.
"""

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.utils.crypto import salted_hmac
from django_stubs_ext import StrOrPromise


class ProviderError(Exception):
    """A provider could not be reached or refused the request."""


class InvalidConfirmation(ProviderError):
    """A confirmation whose signature or content does not check out: it changes nothing."""


class ProviderStatus:
    """How a checkout stands at its provider, in Ardoise's words."""

    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    EXPIRED = "expired"
    FINAL = frozenset({APPROVED, DECLINED, EXPIRED})


class RefundOutcome:
    CONFIRMED = "confirmed"  # the provider says the money goes back: the ledger records it
    PENDING = "pending"  # accepted, not final yet (Stripe's "pending"): asked again later
    REFUSED = "refused"  # the provider said no: nothing is recorded
    UNKNOWN = "unknown"  # no answer (a timeout): asked again before anything is recorded


@dataclass(frozen=True)
class CheckoutSession:
    provider_checkout_id: str
    redirect_url: str


@dataclass(frozen=True)
class Confirmation:
    """What a verified inbound notification says.

    `status` is one of `ProviderStatus`, or "" when the notification only says that the
    checkout changed (SumUp's): its state is then read from the provider's API before anything
    is recorded. `amount` (minor units) and `currency` come with a status.
    """

    event_id: str
    provider_checkout_id: str
    status: str
    amount: int = 0
    currency: str = ""


@dataclass(frozen=True)
class CheckoutState:
    """A checkout as the provider's API describes it now. `raw` is its answer as received."""

    provider_checkout_id: str
    status: str
    amount: int
    currency: str
    raw: str = ""


@dataclass(frozen=True)
class RefundResult:
    outcome: str  # one of RefundOutcome
    provider_refund_id: str = ""
    message: str = ""


class PaymentProvider(Protocol):
    code: str
    label: StrOrPromise
    is_test: bool

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
        """Open a hosted checkout; the payer is sent to `redirect_url`. `reference` is unique
        to one checkout (`checkout_reference`): sent again, it opens nothing more. The provider
        stops taking the payment at `expires_at` (or after its own default lifetime)."""
        ...

    def parse_confirmation(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation:
        """Verify and read a notification; raises `InvalidConfirmation`. No network."""
        ...

    def read_checkout(self, *, provider_checkout_id: str) -> CheckoutState:
        """Ask the provider how a checkout stands; raises `ProviderError`."""
        ...

    def refund(
        self, *, provider_checkout_id: str, amount: int, currency: str, reference: str
    ) -> RefundResult:
        """Give back `amount` of a paid checkout; `reference` is unique to this refund."""
        ...

    def read_refund(
        self,
        *,
        provider_checkout_id: str,
        provider_refund_id: str,
        reference: str,
        amount: int,
        refunded_before: int,
    ) -> RefundResult:
        """How a refund whose answer was lost or not final stands now; `refunded_before` is
        what was refunded of the checkout, confirmed, before it."""
        ...

    def check_connection(self) -> None:
        """Call the provider with the shop's credentials; raises `ProviderError` with why."""
        ...


def checkout_reference(checkout_id: int) -> str:
    """The reference a provider knows one checkout by: the same for every attempt to open it
    (so the provider's refusal of a duplicate, or its idempotency key, makes a retry open
    nothing more), different across installations sharing a provider account."""
    tag = salted_hmac("ardoise.payments.checkout-reference", str(checkout_id)).hexdigest()[:12]
    return f"ardoise-{checkout_id}-{tag}"


def refund_reference(refund_id: int) -> str:
    tag = salted_hmac("ardoise.payments.refund-reference", str(refund_id)).hexdigest()[:12]
    return f"ardoise-refund-{refund_id}-{tag}"
