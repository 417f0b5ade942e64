"""API fixtures: a shop with an account, a key with every scope, and a client sending it."""

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from ardoise.api.keys import SCOPES, create_api_key
from ardoise.api.models import ApiKey
from ardoise.ledger.models import Account
from ardoise.shops.models import Membership, RoleKind, Shop
from tests.factories import make_account, make_shop, owner_of
from tests.support import Snapshot, database_snapshot


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=100_00, name="Hélène Martin")


def owner_membership(shop: Shop) -> Membership:
    return Membership.objects.get(shop=shop, user=owner_of(shop), role__kind=RoleKind.OWNER)


def new_secret(shop: Shop, scopes: list[str] | None = None, name: str | None = None) -> str:
    """A key's secret; its name "Till 1", "Till 2"… unless told (active keys' names differ)."""
    scopes = [scope.value for scope in SCOPES] if scopes is None else scopes
    name = name or f"Till {ApiKey.objects.filter(shop=shop).count() + 1}"
    return create_api_key(membership=owner_membership(shop), name=name, scopes=scopes).secret


class ApiClient:
    """A Django test client that speaks JSON with a key, in English unless told otherwise."""

    def __init__(self, secret: str | None, language: str = "en") -> None:
        self.client = Client()
        self.headers: dict[str, str] = {"Accept-Language": language}
        if secret:
            self.headers["Authorization"] = f"Bearer {secret}"

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any = None, *, key: str | None = None, **headers: str) -> Any:
        sent = {**self.headers, **headers}
        if key is not None:
            sent["Idempotency-Key"] = key
        data = body if isinstance(body, (str, bytes)) else _json(body)
        return self.client.post(
            f"/api/v1{path}", data, content_type="application/json", headers=sent
        )


def _json(body: Any) -> str:
    import json

    return json.dumps({} if body is None else body)


@pytest.fixture
def secret(shop: Shop) -> str:
    return new_secret(shop)


@pytest.fixture
def api(secret: str) -> ApiClient:
    return ApiClient(secret)


@pytest.fixture
def api_for(shop: Shop) -> Callable[..., ApiClient]:
    def make(scopes: list[str] | None = None, language: str = "en") -> ApiClient:
        return ApiClient(new_secret(shop, scopes), language)

    return make


def business_snapshot() -> Snapshot:
    """Every row Ardoise owns except the keys' own metering (token bucket, last used)."""
    snapshot = database_snapshot()
    rows = {table: rows for table, rows in snapshot.rows.items() if table != "api_key"}
    return Snapshot(rows=rows, emails_sent=snapshot.emails_sent)
