"""The providers this installation offers, by code."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.payments.providers.base import PaymentProvider, ProviderError
from ardoise.payments.providers.test.provider import TestProvider


def _registry() -> dict[str, PaymentProvider]:
    providers: list[PaymentProvider] = []
    if settings.PAYMENTS_TEST_PROVIDER:  # approves without money: never on by default in prod
        providers.append(TestProvider())
    return {provider.code: provider for provider in providers}


def get_provider(code: str) -> PaymentProvider:
    try:
        return _registry()[code]
    except KeyError as error:
        raise ProviderError(f"unknown payment provider {code!r}") from error


def available_provider(code: str) -> PaymentProvider | None:
    """The provider `code` if this installation offers it; None otherwise (a shop left on the test
    provider after the deployment switched it off takes no online payment, it does not fail)."""
    return _registry().get(code)


def provider_choices() -> list[tuple[str, StrOrPromise]]:
    return [("", _("No online payment")), *((p.code, p.label) for p in _registry().values())]
