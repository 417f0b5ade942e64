"""Fixtures for the sales area: a shop with a catalogue, an account, and clients by role."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from django.test import Client

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Product
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import make_account, make_member, make_shop, owner_of
from tests.invoicing.builders import make_invoice


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop(
        legal_name="EARL des Trois Chênes",
        siret="81234567800012",
        vat_number="FR40812345678",
        address="12 chemin des Vignes\n69390 Charly",
    )


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, name="Camille Martin", email="camille@example.fr")


@pytest.fixture
def tomatoes(shop: Shop) -> Product:
    return invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name="Tomates",
        unit="kg",
        unit_price=Decimal("4.2000"),
        vat_rate=Decimal("5.5"),
    )


@pytest.fixture
def invoice(account: Account) -> Invoice:
    return make_invoice(account)  # 60,00 €


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
    def make(kind: str = RoleKind.ASSOCIATE) -> Client:
        return client_for(make_member(shop, kind))

    return make


@pytest.fixture
def other_client(db: None) -> Client:
    """The owner of another shop: every id of `shop` must be a 404 for them."""
    return client_for(owner_of(make_shop()))
