"""Settings → Online payment: credentials encrypted at rest and never shown again, the connection
test against the stand-in, the provider switched on by its credentials; the reconciliation
page; a refund to the card from the sale's page."""

import logging

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client, override_settings
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.core.encryption import SecretUnreadable, decrypt
from ardoise.ledger.models import Credit, CreditKind
from ardoise.payments.models import (
    Checkout,
    CheckoutStatus,
    OnlinePaymentSettings,
    ProviderAccount,
    ProviderRefund,
    RefundStatus,
)
from ardoise.payments.providers.registry import provider_choices
from ardoise.shops.models import RoleKind, Shop
from tests.factories import client_for, make_shop, owner_of
from tests.payments.provider_support import after_commit, standin_server, statement_to_pay
from tests.payments.standins import StandIn
from tests.statements.support import enable_online_payment, run_worker
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db

PAGE = "staff:online_payment_settings"
API_KEY = "sup_sk_live_0123456789abcdef"
SIGNING = "sumup-signing-0123456789"


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def _save(client: Client, provider: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {f"{provider}-{name}": value for name, value in fields.items()}
    return client.post(reverse("staff:provider_account_save", args=[provider]), data)


def test_saved_keys_are_encrypted_never_shown_again_and_switch_the_provider_on(
    shop: Shop, owner_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    enable_online_payment(shop)  # the test provider was in use
    with caplog.at_level(logging.DEBUG):
        response = _save(
            owner_client,
            "sumup",
            api_key=API_KEY,
            merchant_code="MABC123",
            webhook_secret=SIGNING,
        )

    assert response.status_code == 302
    account = ProviderAccount.objects.get(shop=shop)
    assert API_KEY not in account.api_key
    assert SIGNING not in account.webhook_secret
    assert (decrypt(account.api_key), decrypt(account.webhook_secret)) == (API_KEY, SIGNING)
    assert account.merchant_code == "MABC123"
    assert OnlinePaymentSettings.objects.get(shop=shop).provider == "sumup"
    assert ("sumup", "SumUp") in provider_choices(shop.pk)
    page = owner_client.get(reverse(PAGE)).content.decode()
    assert API_KEY not in page
    assert SIGNING not in page
    assert API_KEY[-6:] not in page
    assert f"/p/webhooks/sumup/{shop.pk}/{account.webhook_key}/" in page
    event = AuditEvent.objects.get(action="payments.provider_account.saved")
    assert API_KEY not in str(event.data)
    assert SIGNING not in str(event.data)
    assert API_KEY not in caplog.text
    assert SIGNING not in caplog.text
    assert set(response.wsgi_request.sensitive_post_parameters) >= {
        "sumup-api_key",
        "sumup-webhook_secret",
    }


def test_a_blank_key_keeps_the_saved_one_and_a_new_one_replaces_it(
    shop: Shop, owner_client: Client
) -> None:
    _save(owner_client, "stripe", api_key="sk_test_first", webhook_secret="whsec_first")
    first = ProviderAccount.objects.get(shop=shop)

    _save(owner_client, "stripe", api_key="", webhook_secret="")
    kept = ProviderAccount.objects.get(shop=shop)
    _save(owner_client, "stripe", api_key="sk_test_second", forget_webhook_secret="on")
    replaced = ProviderAccount.objects.get(shop=shop)

    assert (decrypt(kept.api_key), decrypt(kept.webhook_secret)) == ("sk_test_first", "whsec_first")
    assert kept.webhook_key == first.webhook_key
    assert (decrypt(replaced.api_key), replaced.webhook_secret) == ("sk_test_second", "")


def test_a_first_save_without_its_key_or_merchant_code_writes_nothing(
    shop: Shop, owner_client: Client
) -> None:
    before = database_snapshot()

    response = _save(owner_client, "sumup", api_key=API_KEY, merchant_code="")
    other = _save(owner_client, "stripe", api_key="")

    assert (response.status_code, other.status_code) == (400, 400)
    assert "Enter your SumUp merchant code." in response.content.decode()
    assert database_snapshot().changes_since(before) == {}


def test_an_unknown_provider_is_a_404(owner_client: Client) -> None:
    response = _save(owner_client, "paypal", api_key="x")
    assert response.status_code == 404


def test_the_connection_test_calls_the_provider_with_the_saved_keys(
    shop: Shop, owner_client: Client, standin: StandIn
) -> None:
    _save(owner_client, "sumup", api_key=standin.sumup_key, merchant_code=standin.merchant_code)
    _save(owner_client, "stripe", api_key="sk_test_wrong")
    owner_client.cookies["django_language"] = "en"

    works = owner_client.post(reverse("staff:provider_account_check", args=["sumup"]), follow=True)
    refused = owner_client.post(
        reverse("staff:provider_account_check", args=["stripe"]), follow=True
    )

    assert "the connection works" in works.content.decode()
    assert "Stripe refused the connection: Stripe: HTTP 401" in refused.content.decode()
    assert "sk_test_wrong" not in refused.content.decode()
    checked = dict(ProviderAccount.objects.values_list("provider", "checked_at"))
    assert checked["sumup"] is not None
    assert checked["stripe"] is None
    merchant_reads = standin.requests("GET", f"/v1/merchants/{standin.merchant_code}")
    assert merchant_reads[0].headers["Authorization"] == f"Bearer {standin.sumup_key}"


def test_removing_the_keys_switches_online_payment_off(shop: Shop, owner_client: Client) -> None:
    _save(owner_client, "stripe", api_key="sk_test_x")

    owner_client.post(reverse("staff:provider_account_remove", args=["stripe"]))

    assert ProviderAccount.objects.filter(shop=shop).count() == 0
    assert OnlinePaymentSettings.objects.get(shop=shop).provider == ""


def test_another_shops_keys_are_its_own(
    shop: Shop, owner_client: Client, other_client: Client
) -> None:
    _save(owner_client, "stripe", api_key="sk_test_mine")

    other_client.post(reverse("staff:provider_account_remove", args=["stripe"]))
    page = other_client.get(reverse(PAGE))

    assert ProviderAccount.objects.filter(shop=shop).count() == 1
    assert f"/p/webhooks/stripe/{shop.pk}/" not in page.content.decode()


def test_a_role_without_the_settings_permission_gets_403(client_as) -> None:  # type: ignore[no-untyped-def]
    cashier = client_as(RoleKind.ASSOCIATE)
    assert cashier.get(reverse(PAGE)).status_code == 403
    assert cashier.get(reverse("staff:payment_checks")).status_code == 403


def test_rotation_re_encrypts_every_secret_under_the_new_key(
    shop: Shop,
    owner_client: Client,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    _save(owner_client, "stripe", api_key="sk_test_rotate", webhook_secret="whsec_rotate")
    old_keys = list(settings.ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()

    with override_settings(ENCRYPTION_KEYS=[new_key, *old_keys]):
        call_command("rotate_encryption")
    account = ProviderAccount.objects.get(shop=shop)
    with override_settings(ENCRYPTION_KEYS=[new_key]):  # the old key removed
        assert (decrypt(account.api_key), decrypt(account.webhook_secret)) == (
            "sk_test_rotate",
            "whsec_rotate",
        )
    with (
        override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()]),
        pytest.raises(SecretUnreadable),
    ):
        decrypt(account.api_key)


# --- The reconciliation page -------------------------------------------------------------------


def test_the_page_lists_what_the_providers_and_the_ledger_do_not_agree_on(
    owner_client: Client, standin: StandIn, other_client: Client
) -> None:
    setup = statement_to_pay("stripe", standin)
    standin.fail("POST", "/v1/checkout/sessions", "500")
    owner = client_for(owner_of(setup.shop))
    owner.post(reverse("portal:statement_pay", kwargs={"token": setup.token}))
    assert Checkout.objects.get().status == CheckoutStatus.DECLINED

    page = owner.get(reverse("staff:payment_checks"), HTTP_ACCEPT_LANGUAGE="en")
    elsewhere = other_client.get(reverse("staff:payment_checks"))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kind="not_opened"' in html
    assert "HTTP 500" in html
    assert 'data-kind="not_opened"' not in elsewhere.content.decode()


# --- A refund to the card, from the sale's page ----------------------------------------------


def test_a_sale_paid_online_is_refunded_to_the_card_once_the_provider_confirms(
    standin: StandIn,
) -> None:
    setup = statement_to_pay("sumup", standin)
    client = Client()
    client.post(reverse("portal:statement_pay", kwargs={"token": setup.token}))
    checkout = Checkout.objects.get()
    standin.sumup_pay(checkout.provider_checkout_id)
    client.get(reverse("portal:statement", kwargs={"token": setup.token}))  # back: paid
    owner = client_for(owner_of(setup.shop))
    charge = setup.charges[0]
    url = reverse("staff:charge_refund", args=[charge.pk])

    form = owner.get(url).content.decode()
    assert 'value="online"' in form
    with after_commit():
        response = owner.post(
            url,
            {
                "amount": "45,00",
                "mode": "online",
                "reason": "Returned",
                "idempotency_key": "refund-form-1",
            },
            follow=True,
        )
    assert response.status_code == 200
    assert ProviderRefund.objects.get().status == RefundStatus.REQUESTED
    assert Credit.objects.filter(kind=CreditKind.CREDIT_NOTE).count() == 0
    run_worker()

    refund = ProviderRefund.objects.get()
    assert (refund.status, refund.payout) == (RefundStatus.CONFIRMED, 45_00)
    note = Credit.objects.get(kind=CreditKind.CREDIT_NOTE)
    assert (note.payout_amount, note.payout_mode) == (45_00, "online")
    detail = owner.get(reverse("staff:charge_detail", args=[charge.pk])).content.decode()
    assert 'data-refund-status="confirmed"' in detail
