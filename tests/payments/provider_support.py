"""Shops set up with SumUp or Stripe against the local stand-ins (tests/payments/standins.py)."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.test import TestCase, override_settings
from django.urls import reverse

from ardoise.ledger.models import Account, Charge
from ardoise.payments.accounts import save_provider_account
from ardoise.payments.models import Checkout, ProviderAccount
from ardoise.payments.providers.registry import webhook_url
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from ardoise.statements.links import create_payment_link
from ardoise.statements.models import Statement
from tests.factories import key, make_shop
from tests.payments.standins import StandIn, start_standin
from tests.statements.support import account_with_charges

SUMUP_SECRET = "sumup-signing-secret-standin"
STRIPE_SECRET = "whsec_standin"


@contextmanager
def standin_server(**settings: object) -> Iterator[StandIn]:
    """The stand-in, with both SDKs pointed at it, quick timeouts and retries."""
    standin, server = start_standin()
    try:
        with override_settings(
            SUMUP_API_BASE=standin.base,
            STRIPE_API_BASE=standin.base,
            HTTP_TIMEOUT_SECONDS=settings.pop("HTTP_TIMEOUT_SECONDS", 0.5),
            HTTP_RETRIES=settings.pop("HTTP_RETRIES", 1),
            **settings,
        ):
            yield standin
    finally:
        server.shutdown()
        server.server_close()


def connect(
    shop: Shop, provider: str, standin: StandIn, *, signing_secret: bool = True
) -> ProviderAccount:
    """The shop's credentials at the stand-in, as the owner types them in Settings."""
    if provider == "sumup":
        return save_provider_account(
            shop_id=shop.pk,
            provider="sumup",
            api_key=standin.sumup_key,
            merchant_code=standin.merchant_code,
            webhook_secret=SUMUP_SECRET if signing_secret else "",
            actor=None,
        )
    return save_provider_account(
        shop_id=shop.pk,
        provider="stripe",
        api_key=standin.stripe_key,
        webhook_secret=STRIPE_SECRET if signing_secret else "",
        actor=None,
    )


def secret_of(provider: str) -> str:
    return SUMUP_SECRET if provider == "sumup" else STRIPE_SECRET


def webhook_path(account: ProviderAccount) -> str:
    return reverse(
        "payments:account_webhook",
        kwargs={
            "provider": account.provider,
            "shop_id": account.shop_id,
            "key": account.webhook_key,
        },
    )


def full_webhook_url(account: ProviderAccount) -> str:
    return webhook_url(account)


@dataclass
class Setup:
    shop: Shop
    account: Account
    charges: list[Charge]
    statement: Statement
    token: str
    provider_account: ProviderAccount


def statement_to_pay(
    provider: str, standin: StandIn, totals: tuple[int, ...] = (45_00, 30_50), **options: bool
) -> Setup:
    shop = make_shop()
    provider_account = connect(shop, provider, standin, **options)
    account, charges = account_with_charges(shop, list(totals))
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    token = create_payment_link(statement=statement, days=30)
    return Setup(shop, account, charges, statement, token, provider_account)


def pay_path(token: str) -> str:
    return reverse("portal:statement_pay", kwargs={"token": token})


def page_path(token: str) -> str:
    return reverse("portal:statement", kwargs={"token": token})


def provider_id(checkout: Checkout) -> str:
    return checkout.provider_checkout_id


def after_commit():  # type: ignore[no-untyped-def]
    """Run what the block leaves for after its commit (the test's own transaction never
    commits): the webhook's enqueued handling, the refund's provider call."""
    return TestCase.captureOnCommitCallbacks(execute=True)
