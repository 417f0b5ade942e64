"""API keys: created in Settings → API (secret shown once, stored hashed), revoked; the bearer
authentication (401), the scopes (403), the rate limit (429 with Retry-After), the audit."""

import hashlib
import importlib
import threading

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from ardoise.api.keys import NameTaken, create_api_key
from ardoise.api.models import ApiKey
from ardoise.audit.models import AuditEvent
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop
from tests.api.conftest import ApiClient, business_snapshot, new_secret, owner_membership
from tests.factories import client_for, make_member, make_shop, owner_of


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
    # The scheme the API takes, as RFC 9110 asks of a 401 (and RFC 6750's error for a bad key).
    assert missing["WWW-Authenticate"] == 'Bearer realm="Ardoise API"'
    assert wrong["WWW-Authenticate"] == 'Bearer realm="Ardoise API", error="invalid_token"'


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


def _refused_in_settings(
    shop: Shop, language: str, data: dict[str, object]
) -> tuple[int, dict[str, list[str]]]:
    """Post Settings → API's form as the owner reading `language`: (status, errors by field)."""
    owner = owner_of(shop)
    client = client_for(owner)
    owner.language = language
    owner.save(update_fields=["language"])
    keys, events = ApiKey.objects.count(), AuditEvent.objects.count()

    response = client.post(reverse("api_keys:key_list"), data)

    assert (ApiKey.objects.count(), AuditEvent.objects.count()) == (keys, events)
    assert b"data-secret" not in response.content
    return response.status_code, response.context["form"].errors


@pytest.mark.parametrize(
    ("data", "field", "english", "french"),
    [
        ({"name": "", "scopes": ["customers.view"]}, "name", "This field is required", "Ce champ"),
        ({"name": " ", "scopes": ["customers.view"]}, "name", "This field is required", "Ce champ"),
        (
            {"name": "x" * 500, "scopes": ["customers.view"]},
            "name",
            "at most 80 characters",
            "au plus 80 caractères",
        ),
        ({"name": "Till 9"}, "scopes", "Choose at least one permission", "Choisissez au moins"),
        (
            {"name": "till 1", "scopes": ["customers.view"]},
            "name",
            "An active key is already named “till 1”",
            "Une clé active s'appelle déjà « till 1 »",
        ),
    ],
    ids=["empty name", "blank name", "500-char name", "no scope", "duplicate name"],
)
@pytest.mark.parametrize("language", ["en", "fr"])
def test_a_bad_new_key_form_says_why_at_its_field_and_writes_nothing(
    shop: Shop, language: str, data: dict[str, object], field: str, english: str, french: str
) -> None:
    new_secret(shop, ["customers.view"], name="Till 1")

    status, errors = _refused_in_settings(shop, language, data)

    assert status == 400
    assert list(errors) == [field]
    assert (english if language == "en" else french) in " ".join(errors[field])


def test_a_revoked_keys_name_may_be_given_again(shop: Shop) -> None:
    new_secret(shop, ["customers.view"], name="Till 1")
    ApiKey.objects.filter(shop=shop).update(revoked_at="2026-01-01T00:00:00Z")
    client = client_for(owner_of(shop))

    response = client.post(
        reverse("api_keys:key_list"), {"name": "Till 1", "scopes": ["customers.view"]}
    )

    assert response.status_code == 200
    assert ApiKey.objects.filter(shop=shop, name="Till 1", revoked_at__isnull=True).count() == 1


def test_the_audit_log_shows_api_calls_and_keys_by_the_keys_name(
    shop: Shop, account: Account
) -> None:
    client = client_for(owner_of(shop))
    client.post(reverse("api_keys:key_list"), {"name": "Caisse 2", "scopes": ["customers.view"]})
    key = ApiKey.objects.get(shop=shop)
    secret = new_secret(shop, ["customers.view"], name="Caisse 3")
    ApiClient(secret).get(f"/customers/{account.customer_id}/account")
    client.post(reverse("api_keys:key_revoke", args=[key.pk]))

    page = client.get(reverse("staff:audit_log"), {"kind": "api"})

    sentences = [sentence for _event, sentence, _customer in page.context["rows"]]
    assert sentences[:2] == [
        "Revoked the API key “Caisse 2”.",
        f"API key “Caisse 3”: GET /api/v1/customers/{account.customer_id}/account (200).",
    ]
    assert "Created the API key “Caisse 2”." in sentences


def test_two_active_keys_of_a_shop_cannot_share_a_name_in_the_database(shop: Shop) -> None:
    new_secret(shop, ["customers.view"], name="Till 1")
    key = ApiKey.objects.get(shop=shop)
    fields = {"shop": shop, "scopes": ["customers.view"], "prefix": "ard_x"}

    with pytest.raises(IntegrityError), transaction.atomic():
        ApiKey.objects.create(name="TILL 1", secret_hash="a" * 64, **fields)
    ApiKey.objects.filter(pk=key.pk).update(revoked_at=timezone.now())
    ApiKey.objects.create(name="TILL 1", secret_hash="b" * 64, **fields)  # the name is free again
    ApiKey.objects.create(name="Till 1", secret_hash="c" * 64, **{**fields, "shop": make_shop()})


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_owners_creating_the_same_name_at_once_get_one_key_and_a_clear_refusal(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Both pass the check before either has written: the unique index decides, and the second
    is told the name is taken (as the form says it), not a server error."""
    both_checked = threading.Barrier(2, timeout=10)
    create = ApiKey.objects.create

    def after_both_checked(**fields: object) -> ApiKey:
        both_checked.wait()
        return create(**fields)

    monkeypatch.setattr(ApiKey.objects, "create", after_both_checked)
    membership = owner_membership(shop)
    outcomes: list[object] = []

    def owner() -> None:
        try:
            created = create_api_key(membership=membership, name="Caisse", scopes=["sales.create"])
            outcomes.append(created.key.pk)
        except NameTaken as refused:
            outcomes.append(refused)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=owner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(type(outcome).__name__ for outcome in outcomes) == ["NameTaken", "int"]
    assert ApiKey.objects.filter(shop=shop, name="Caisse").count() == 1
    assert AuditEvent.objects.filter(shop=shop, action="api.key.created").count() == 1


@pytest.mark.postgres
def test_the_migration_renames_the_later_of_two_active_keys_of_one_name(shop: Shop) -> None:
    from django.apps import apps

    migration = importlib.import_module("ardoise.api.migrations.0002_unique_active_key_name")
    [constraint] = ApiKey._meta.constraints
    with connection.schema_editor() as editor:
        editor.remove_constraint(ApiKey, constraint)
    fields = {"shop": shop, "scopes": ["customers.view"], "prefix": "ard_x"}
    first = ApiKey.objects.create(name="Till", secret_hash="a" * 64, **fields)
    second = ApiKey.objects.create(name="TILL", secret_hash="b" * 64, **fields)
    third = ApiKey.objects.create(name="till", secret_hash="c" * 64, **fields)

    migration.rename_duplicates(apps, None)
    with connection.cursor() as cursor:  # the foreign keys' checks, before the index is built
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    with connection.schema_editor() as editor:
        editor.add_constraint(ApiKey, constraint)

    names = dict(ApiKey.objects.filter(shop=shop).values_list("pk", "name"))
    assert [names[first.pk], names[second.pk], names[third.pk]] == ["Till", "TILL (2)", "till (3)"]
    renamed = AuditEvent.objects.filter(shop=shop, action="api.key.renamed")
    assert sorted(event.data["was"] for event in renamed) == ["TILL", "till"]
