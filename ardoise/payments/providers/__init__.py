"""The payment-provider interface: one folder per provider behind one small protocol.

A provider creates a hosted checkout for an amount, tells us how a checkout ended through a
signed confirmation (a webhook or a redirect), and answers a status query. Ardoise ships the
**test provider** (`providers/test/`), a local checkout page that approves or declines, so the
whole flow runs offline; SumUp and Stripe come later behind the same protocol.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from django.utils.translation import gettext_lazy as _
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


def _registry() -> dict[str, PaymentProvider]:
    from django.conf import settings

    from ardoise.payments.providers.test.provider import TestProvider

    providers: list[PaymentProvider] = []
    if settings.PAYMENTS_TEST_PROVIDER:  # approves without money: never on by default in prod
        providers.append(TestProvider())
    return {provider.code: provider for provider in providers}


def get_provider(code: str) -> PaymentProvider:
    try:
        return _registry()[code]
    except KeyError as error:
        raise ProviderError(f"unknown payment provider {code!r}") from error


def provider_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", _("No online payment")), *((p.code, p.label) for p in _registry().values())]
