"""Fixtures of the ledger tests: a shop, its staff, and a small account to work on."""

from dataclasses import dataclass

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import key, make_account, make_member, make_shop, owner_of
from tests.ledger.support import charge, pay


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


@pytest.fixture
def owner(shop: Shop) -> User:
    return owner_of(shop)


@pytest.fixture
def manager(shop: Shop) -> User:
    """Manager: may adjust and reverse, may not override a credit limit."""
    return make_member(shop, RoleKind.MANAGER)


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, credit_limit=100_00)


@dataclass
class Book:
    """A shop that does not apply credits automatically, with one account holding a 60 € sale
    (10 € VAT), a 30 € payment and 10 € of that payment allocated to the sale."""

    shop: Shop
    account: Account
    charge: Charge
    credit: Credit


@pytest.fixture
def book(db: None) -> Book:
    shop = make_shop(auto_allocate=False)
    account = make_account(shop, credit_limit=100_00)
    sale = charge(account, 60_00, vat_amount=10_00, reference="F-1")
    payment = pay(account, 30_00)
    ledger.allocate(credit=payment, charge=sale, amount=10_00, idempotency_key=key(), actor=None)
    sale.refresh_from_db()
    payment.refresh_from_db()
    account.refresh_from_db()
    return Book(shop=shop, account=account, charge=sale, credit=payment)
