"""Factories for the domain: shops with their roles, staff, customers with accounts, and
signed-in back-office clients (`client_for`)."""

import itertools
import uuid
from typing import Any

import factory
from django.test import Client

from ardoise.customers.models import Customer
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Membership, Role, RoleKind, Shop, User
from ardoise.shops.services import create_shop

_shop_numbers = itertools.count(1)

PASSWORD = "correct horse battery staple"


def key() -> str:
    return uuid.uuid4().hex


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"staff{n}@example.com")
    first_name = factory.Faker("first_name", locale="fr_FR")
    last_name = factory.Faker("last_name", locale="fr_FR")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance: User, create: bool, results: Any = None) -> None:
        if create:
            instance.save()


def make_shop(**fields: Any) -> Shop:
    number = next(_shop_numbers)
    owner = UserFactory()
    fields.setdefault("name", f"Boutique {number}")
    fields.setdefault("slug", f"boutique-{number}-{uuid.uuid4().hex[:6]}")
    return create_shop(owner=owner, **fields)


def owner_of(shop: Shop) -> User:
    return Membership.objects.get(shop=shop, role__kind=RoleKind.OWNER).user


def make_member(shop: Shop, role_kind: str = RoleKind.ASSOCIATE, **user_fields: Any) -> User:
    user = UserFactory(**user_fields)
    Membership.objects.create(
        shop=shop, user=user, role=Role.objects.get(shop=shop, kind=role_kind)
    )
    return user


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Faker("name", locale="fr_FR")
    email = factory.Faker("email", locale="fr_FR")


def make_account(shop: Shop, *, credit_limit: int | None = None, **customer: Any) -> Account:
    customer_row = CustomerFactory(shop=shop, **customer)
    return ledger.open_account(
        customer=customer_row, actor=None, idempotency_key=key(), credit_limit=credit_limit
    )


def client_for(user: User) -> Client:
    """A client signed in as `user`, who reads the back office in English: a member's saved
    language applies on every request, so it is the preference, not Accept-Language, that counts."""
    user.language = "en"
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(user)
    return client
