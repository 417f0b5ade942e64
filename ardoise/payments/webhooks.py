"""Notifications a real provider posts to a shop's webhook address: verified, stored raw,
answered at once, handled by a task.

The address (`/p/webhooks/<provider>/<shop id>/<key>/`) names the shop's `ProviderAccount`,
whose signing secret verifies what arrives. A notification that does not verify (a forged or
stale signature, a malformed body) raises `InvalidConfirmation`: the caller logs it and answers
400, and nothing at all is written. One that verifies is committed on its own, unique per
(provider, event id), before anything else; a duplicate finds its row and enqueues nothing
more. The handling (`handling.handle_notification`) runs in the worker after the commit: a
provider waiting for our answer never waits for its own API or for the ledger.
"""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils.crypto import constant_time_compare

from ardoise.payments.models import Checkout, ProviderAccount, ProviderEvent
from ardoise.payments.providers.registry import provider_for_account
from ardoise.payments.tasks import handle_notification_task


def account_for_webhook(*, provider: str, shop_id: int, key: str) -> ProviderAccount | None:
    """The account a webhook address names; None for an address that names none."""
    account = ProviderAccount.objects.filter(shop_id=shop_id, provider=provider).first()
    if account is None or not constant_time_compare(account.webhook_key, key):
        return None
    return account


def receive_notification(
    *, account: ProviderAccount, body: bytes, headers: Mapping[str, str]
) -> ProviderEvent:
    """Verify, store raw and enqueue the handling of one notification. Safe to replay."""
    provider = provider_for_account(account)
    confirmation = provider.parse_confirmation(body=body, headers=headers)
    checkout = (
        Checkout.objects.filter(
            shop_id=account.shop_id,
            provider=account.provider,
            provider_checkout_id=confirmation.provider_checkout_id,
        ).first()
        if confirmation.provider_checkout_id
        else None
    )
    try:
        # durable: the raw event is committed first, on its own, before it is handled.
        with transaction.atomic(durable=True):
            event = ProviderEvent.objects.create(
                provider=account.provider,
                event_id=confirmation.event_id[:120],
                payload=body.decode("utf-8", errors="replace"),
                signature=signature_of(headers),
                shop_id=account.shop_id,
                checkout=checkout,
                provider_checkout_id=confirmation.provider_checkout_id[:120],
                reported_status=confirmation.status,
                reported_amount=confirmation.amount if confirmation.status else None,
                reported_currency=confirmation.currency[:3],
            )
            transaction.on_commit(lambda: handle_notification_task.enqueue(event.pk))
    except IntegrityError:
        event = ProviderEvent.objects.get(
            provider=account.provider, event_id=confirmation.event_id[:120]
        )
    return event


def signature_of(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if "signature" in name.lower():
            return value[:200]
    return ""
