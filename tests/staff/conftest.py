"""Fixtures for back-office views: a shop with an account, and signed-in clients by role."""

from collections.abc import Callable

import pytest
from django.test import Client

from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import make_account, make_member, make_shop, owner_of


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop(default_credit_limit=300_00)


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=100_00, name="Camille Martin", email="camille@ex.fr")


def client_for(user: User) -> Client:
    """A client signed in as `user`, who reads the back office in English: a member's saved
    language applies on every request, so it is the preference, not Accept-Language, that counts."""
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client


@pytest.fixture
def owner_client(shop: Shop) -> Client:
    return client_for(owner_of(shop))


@pytest.fixture
def client_as(shop: Shop) -> Callable[[str], Client]:
    """A signed-in client for a new member of `shop` holding the built-in role `kind`."""

    def make(kind: str = RoleKind.ASSOCIATE) -> Client:
        return client_for(make_member(shop, kind))

    return make
