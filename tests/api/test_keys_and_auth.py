"""API keys: created in Settings → API (secret shown once, stored hashed), revoked; the bearer
authentication (401), the scopes (403), the rate limit (429 with Retry-After), the audit."""

import hashlib

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from ardoise.api.models import ApiKey
from ardoise.audit.models import AuditEvent
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop
from tests.api.conftest import ApiClient, business_snapshot, new_secret
from tests.factories import client_for, make_member, owner_of


def test_a_key_is_created_in_settings_with_its_secret_shown_once_and_stored_hashed(
    shop: Shop,
) -> None:
    client = client_for(owner_of(shop))

    response = client.post(
        reverse("api_keys:key_list"),
        {"name": "Till 1", "scopes": ["customers.view", "sales.create"]},
    )

    assert response.status_code == 200
    secret = response.context["secret"]
    key = ApiKey.objects.get(shop=shop)
    assert secret.startswith("ard_")
    assert len(secret) == 47
    assert secret.encode() in response.content
    assert key.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert key.prefix == secret[:12]
    assert key.scopes == ["customers.view", "sales.create"]
    assert secret.encode() not in client.get(reverse("api_keys:key_list")).content
    assert key.prefix.encode() in client.get(reverse("api_keys:key_list")).content


def test_a_member_cannot_give_a_key_a_permission_their_role_lacks(shop: Shop) -> None:
    """An admin without `accounts.override_limit`? Every built-in role with settings.manage holds
    every scope; a custom role with settings.manage and customers.view only gets only that."""
    from ardoise.shops.models import Membership, Role

    role = Role.objects.create(
        shop=shop, name="Settings only", permissions=["settings.manage", "customers.view"]
    )
    user = make_member(shop, RoleKind.ASSOCIATE)
    Membership.objects.filter(user=user).update(role=role)
    client = client_for(user)
    before = business_snapshot()

    response = client.post(
        reverse("api_keys:key_list"), {"name": "Till", "scopes": ["payments.record"]}
    )

    assert response.status_code == 400
    assert business_snapshot().changes_since(before) == {}
    choices = [value for value, _label in response.context["form"].fields["scopes"].choices]
    assert choices == ["customers.view"]


def test_every_call_needs_a_valid_key(shop: Shop, account: Account) -> None:
    path = f"/customers/{account.customer_id}/account"

    missing = ApiClient(None).get(path)
    wrong = ApiClient("ard_" + "x" * 43).get(path)
    basic = Client().get("/api/v1" + path, headers={"Authorization": "Basic Zm9vOmJhcg=="})

    assert (missing.status_code, missing.json()["error"]["code"]) == (401, "api_key_required")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert basic.status_code == 401


def test_a_revoked_key_is_refused_at_once(shop: Shop, account: Account) -> None:
    secret = new_secret(shop)
    api = ApiClient(secret)
    assert api.get(f"/customers/{account.customer_id}").status_code == 200
    key = ApiKey.objects.get(shop=shop)

    response = client_for(owner_of(shop)).post(reverse("api_keys:key_revoke", args=[key.pk]))

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    refused = api.get(f"/customers/{account.customer_id}")
    assert (refused.status_code, refused.json()["error"]["code"]) == (401, "invalid_api_key")


def test_a_key_without_the_scope_gets_403_and_writes_nothing(shop: Shop, account: Account) -> None:
    api = ApiClient(new_secret(shop, ["customers.view"]), language="fr")
    before = business_snapshot()

    response = api.post(
        "/charges",
        {"customer_id": account.customer_id, "amount": "5.00", "currency": "EUR"},
        key="k1",
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "scope_missing"
    assert "sales.create" in response.json()["error"]["message"]
    assert business_snapshot().changes_since(before) == {}


def test_another_shops_key_sees_nothing_of_this_shop(account: Account) -> None:
    from tests.factories import make_shop

    other = ApiClient(new_secret(make_shop()))

    response = other.get(f"/customers/{account.customer_id}/account")

    assert response.status_code == 404
    assert response.json()["error"] == {
        "code": "not_found",
        "message": "Nothing with this id in this shop.",
        "field": None,
    }


@override_settings(API_RATE_BURST=3, API_RATE_PER_MINUTE=6)
def test_past_its_rate_limit_a_key_gets_429_with_retry_after(shop: Shop, account: Account) -> None:
    api = ApiClient(new_secret(shop))
    path = f"/customers/{account.customer_id}"

    answers = [api.get(path).status_code for _ in range(4)]
    throttled = api.get(path)

    assert answers == [200, 200, 200, 429]
    assert throttled.status_code == 429
    assert throttled.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(throttled["Retry-After"]) <= 10


def test_every_call_is_audited_with_the_keys_name(shop: Shop, account: Account) -> None:
    api = ApiClient(new_secret(shop, name="Caisse 2"))

    api.get(f"/customers/{account.customer_id}/account")
    api.post(
        "/payments",
        {"customer_id": account.customer_id, "amount": "5.00", "currency": "EUR", "mode": "cash"},
        key="pay-1",
    )

    calls = AuditEvent.objects.filter(shop=shop, action="api.call").order_by("id")
    assert [(e.data["api_key"], e.data["method"], e.data["status"]) for e in calls] == [
        ("Caisse 2", "GET", 200),
        ("Caisse 2", "POST", 201),
    ]
    assert calls[1].object_type == "ledger.credit"
    key = ApiKey.objects.get(shop=shop)
    assert key.last_used_at is not None


@pytest.mark.parametrize("language", ["fr", "en"])
def test_the_error_message_is_in_the_callers_language(
    shop: Shop, account: Account, language: str
) -> None:
    api = ApiClient(new_secret(shop), language=language)

    response = api.post(
        "/charges",
        {"customer_id": account.customer_id, "amount": "500.00", "currency": "EUR"},
        key="big",
    )

    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "credit_limit_exceeded"
    assert error["field"] == "amount"
    expected = "plafond" if language == "fr" else "credit limit"
    assert expected in error["message"]
