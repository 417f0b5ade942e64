"""Fixtures for the sales area: a shop with a catalogue, an account (clients: tests/conftest.py)."""

from decimal import Decimal

import pytest

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Product
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import make_account, make_shop
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
