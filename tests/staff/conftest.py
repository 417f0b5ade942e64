"""Fixtures for back-office views: a shop with an account (signed-in clients: tests/conftest.py)."""

import pytest

from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import make_account, make_shop


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop(default_credit_limit=300_00)


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=100_00, name="Camille Martin", email="camille@ex.fr")
