"""The providers on offer: the test provider (this installation's setting) and, per shop, each
real provider whose credentials the shop saved in Settings → Online payment.

A real provider is built for one shop from its `ProviderAccount`, its secrets decrypted only
here and only to build it.
"""

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.debug import sensitive_variables
from django_stubs_ext import StrOrPromise

from ardoise.core.encryption import decrypt
from ardoise.payments.models import ProviderAccount, ProviderCode
from ardoise.payments.providers.base import PaymentProvider, ProviderError
from ardoise.payments.providers.stripe.provider import StripeProvider
from ardoise.payments.providers.sumup.provider import SumUpProvider
from ardoise.payments.providers.test.provider import TestProvider


def _registry() -> dict[str, PaymentProvider]:
    providers: list[PaymentProvider] = []
    if settings.PAYMENTS_TEST_PROVIDER:  # approves without money: never on by default in prod
        providers.append(TestProvider())
    return {provider.code: provider for provider in providers}


def webhook_url(account: ProviderAccount) -> str:
    """The address the provider posts the shop's notifications to."""
    path = reverse(
        "payments:account_webhook",
        kwargs={
            "provider": account.provider,
            "shop_id": account.shop_id,
            "key": account.webhook_key,
        },
    )
    return settings.SITE_URL + path


@sensitive_variables("webhook_secret")
def provider_for_account(account: ProviderAccount) -> PaymentProvider:
    """The real provider behind a shop's saved credentials."""
    webhook_secret = decrypt(account.webhook_secret) if account.webhook_secret else ""
    if account.provider == ProviderCode.SUMUP:
        return SumUpProvider(
            api_key=decrypt(account.api_key),
            merchant_code=account.merchant_code,
            webhook_secret=webhook_secret,
            notify_url=webhook_url(account),
        )
    if account.provider == ProviderCode.STRIPE:
        return StripeProvider(api_key=decrypt(account.api_key), webhook_secret=webhook_secret)
    raise ProviderError(f"unknown payment provider {account.provider!r}")


def get_provider(code: str) -> PaymentProvider:
    """A provider of the installation (the test provider), by code."""
    try:
        return _registry()[code]
    except KeyError as error:
        raise ProviderError(f"unknown payment provider {code!r}") from error


def shop_provider(shop_id: int, code: str) -> PaymentProvider | None:
    """The provider `code` as the shop has it: the test provider when the installation offers
    it, a real one when the shop saved its credentials; None otherwise (a shop left on a
    provider that is gone takes no online payment, it does not fail)."""
    if code in ProviderCode.values:
        account = ProviderAccount.objects.filter(shop_id=shop_id, provider=code).first()
        return provider_for_account(account) if account is not None else None
    return _registry().get(code)


def available_provider(code: str) -> PaymentProvider | None:
    """The installation's provider `code` (the test provider), or None."""
    return _registry().get(code)


def provider_choices(shop_id: int | None = None) -> list[tuple[str, StrOrPromise]]:
    """What a shop may choose for its online payments: none, its real providers, the test one."""
    choices: list[tuple[str, StrOrPromise]] = [("", _("No online payment"))]
    if shop_id is not None:
        saved = set(
            ProviderAccount.objects.filter(shop_id=shop_id).values_list("provider", flat=True)
        )
        choices += [(code, label) for code, label in ProviderCode.choices if code in saved]
    choices += [(p.code, p.label) for p in _registry().values()]
    return choices
