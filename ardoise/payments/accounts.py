"""A shop's credentials at SumUp and Stripe (Settings → Online payment).

Saved encrypted (`core.encryption`); a field left blank keeps what was saved, so a secret is
typed once and never shown again. Saving the first real provider's credentials switches the
shop's online payment to it when it had none or only the test provider: a provider is on when
its credentials are present. The audit event says what changed, never a secret.
"""

import secrets

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from ardoise.audit.services import record_event
from ardoise.core.encryption import encrypt, rotate
from ardoise.payments.models import OnlinePaymentSettings, ProviderAccount, ProviderCode
from ardoise.payments.providers.base import ProviderError
from ardoise.payments.providers.registry import provider_for_account
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.shops.models import User


class CredentialsMissing(ValueError):
    """An API key (and for SumUp a merchant code) is needed the first time."""


@sensitive_variables("api_key", "webhook_secret")
def save_provider_account(
    *,
    shop_id: int,
    provider: str,
    api_key: str,
    merchant_code: str = "",
    webhook_secret: str = "",
    forget_webhook_secret: bool = False,
    actor: User | None,
) -> ProviderAccount:
    """Save (or change) the shop's credentials at `provider`; blank secrets keep the saved."""
    code = ProviderCode(provider)
    api_key, webhook_secret = api_key.strip(), webhook_secret.strip()
    merchant_code = merchant_code.strip()
    with transaction.atomic(durable=True):
        account = (
            ProviderAccount.objects.select_for_update()
            .filter(shop_id=shop_id, provider=code)
            .first()
        )
        if account is None:
            if not api_key or (code == ProviderCode.SUMUP and not merchant_code):
                raise CredentialsMissing()
            account = ProviderAccount(
                shop_id=shop_id, provider=code, webhook_key=secrets.token_urlsafe(24)
            )
        changed = []
        if api_key:
            account.api_key = encrypt(api_key)
            changed.append("api_key")
        if merchant_code and merchant_code != account.merchant_code:
            account.merchant_code = merchant_code
            changed.append("merchant_code")
        if webhook_secret:
            account.webhook_secret = encrypt(webhook_secret)
            changed.append("webhook_secret")
        elif forget_webhook_secret and account.webhook_secret:
            account.webhook_secret = ""
            changed.append("webhook_secret_removed")
        if changed:
            account.checked_at = None  # a connection test is about the credentials it tried
        account.save()
        settings, _created = OnlinePaymentSettings.objects.get_or_create(shop_id=shop_id)
        if settings.provider in {"", TestProvider.code}:
            settings.provider = code
            settings.save(update_fields=["provider"])
        record_event(
            shop_id=shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.provider_account.saved",
            target=account,
            data={"provider": code, "changed": changed, "merchant_code": account.merchant_code},
        )
    return account


def remove_provider_account(*, shop_id: int, provider: str, actor: User | None) -> None:
    """Forget the shop's credentials at `provider`; online payment through it stops."""
    with transaction.atomic(durable=True):
        deleted, _rows = ProviderAccount.objects.filter(shop_id=shop_id, provider=provider).delete()
        if not deleted:
            return
        OnlinePaymentSettings.objects.filter(shop_id=shop_id, provider=provider).update(provider="")
        record_event(
            shop_id=shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.provider_account.removed",
            data={"provider": provider},
        )


def check_provider_account(*, account: ProviderAccount) -> None:
    """Call the provider with the saved credentials (outside any transaction); on success the
    account is marked checked. Raises `ProviderError` with the provider's reason."""
    provider_for_account(account).check_connection()
    ProviderAccount.objects.filter(pk=account.pk).update(checked_at=timezone.now())


def rotate_account_secrets(*, account_id: int) -> None:
    """Re-encrypt one account's secrets under the first key (`manage.py rotate_encryption`)."""
    with transaction.atomic(durable=True):
        account = ProviderAccount.objects.select_for_update().get(pk=account_id)
        account.api_key = rotate(account.api_key)
        if account.webhook_secret:
            account.webhook_secret = rotate(account.webhook_secret)
        account.save(update_fields=["api_key", "webhook_secret"])


__all__ = [
    "CredentialsMissing",
    "ProviderError",
    "check_provider_account",
    "remove_provider_account",
    "rotate_account_secrets",
    "save_provider_account",
]
