"""What every payment provider is: the protocol it implements, what it returns, how it fails.

Provider implementations (`providers/<name>/`) import this module, never the registry that
imports them.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django_stubs_ext import StrOrPromise


class ProviderError(Exception):
    """A provider could not be reached or refused the request."""


class InvalidConfirmation(ProviderError):
    """A confirmation whose signature or content does not check out: it changes nothing."""


@dataclass(frozen=True)
class CheckoutSession:
    provider_checkout_id: str
    redirect_url: str


@dataclass(frozen=True)
class Confirmation:
    """What a verified confirmation says happened to one checkout."""

    event_id: str
    provider_checkout_id: str
    status: str  # "approved" or "declined"
    amount: int
    currency: str


class PaymentProvider(Protocol):
    code: str
    label: StrOrPromise
    is_test: bool

    def create_checkout(
        self, *, amount: int, currency: str, reference: str, return_url: str
    ) -> CheckoutSession:
        """Open a hosted checkout; the payer is sent to `redirect_url`."""
        ...

    def parse_confirmation(self, *, body: bytes, headers: Mapping[str, str]) -> Confirmation:
        """Verify and read a confirmation; raises `InvalidConfirmation`."""
        ...

    def fetch_status(self, *, provider_checkout_id: str) -> str:
        """Ask the provider how a checkout stands: "pending", "approved" or "declined"."""
        ...
