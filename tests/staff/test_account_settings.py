"""Settings → Customer accounts: the default limit of new accounts, automatic allocation."""

import pytest
from django.apps import apps
from django.test import Client
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import key, make_shop
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db

URL = reverse("staff:account_settings")


def _post(client: Client, **fields: str) -> object:
    data = {"default_credit_limit": "", "default_no_limit": "", "auto_allocate": "on"}
    return client.post(URL, {**data, **fields})


def test_automatic_allocation_is_on_by_default_for_a_new_shop() -> None:
    assert make_shop().auto_allocate is True


def test_the_migration_turns_automatic_allocation_on_for_existing_shops() -> None:
    from importlib import import_module

    migration = import_module("ardoise.shops.migrations.0004_automatic_allocation_on")
    shop = make_shop(auto_allocate=False)

    migration.turn_on(apps, None)

    shop.refresh_from_db()
    assert shop.auto_allocate is True


def test_the_settings_page_saves_the_default_limit_and_allocation_and_audits(
    owner_client: Client, shop: Shop
) -> None:
    response = _post(owner_client, default_credit_limit="150", auto_allocate="")

    assert response.status_code == 302
    shop.refresh_from_db()
    assert (shop.default_credit_limit, shop.auto_allocate) == (150_00, False)
    event = AuditEvent.objects.get(action="shops.account_settings.changed")
    assert event.data == {
        "default_credit_limit": {"from": 300_00, "to": 150_00},
        "auto_allocate": {"from": True, "to": False},
    }


def test_no_default_limit_is_an_explicit_choice(owner_client: Client, shop: Shop) -> None:
    response = _post(owner_client, default_no_limit="on")

    assert response.status_code == 302
    shop.refresh_from_db()
    assert shop.default_credit_limit is None


def test_an_empty_default_limit_without_no_limit_is_refused_next_to_the_field(
    owner_client: Client, shop: Shop
) -> None:
    events = AuditEvent.objects.count()

    response = _post(owner_client, auto_allocate="")

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "default_credit_limit": ["Enter a credit limit (0 for no credit), or tick “No limit”."]
    }
    shop.refresh_from_db()
    assert (shop.default_credit_limit, shop.auto_allocate) == (300_00, True)
    assert AuditEvent.objects.count() == events


def test_the_page_explains_what_automatic_allocation_changes(
    owner_client: Client, shop: Shop
) -> None:
    page = owner_client.get(URL).content.decode()

    assert "settles the customer's oldest open invoices and debit notes first" in page
    assert "stays as a deposit until someone applies it" in page


def test_a_new_customer_gets_the_default_limit_from_settings(
    owner_client: Client, shop: Shop
) -> None:
    _post(owner_client, default_credit_limit="75")
    form = owner_client.get(reverse("staff:customer_create")).context["form"]
    assert form["credit_limit"].value() == "75.00"

    owner_client.post(
        reverse("staff:customer_create"),
        {
            "name": "Léa Petit",
            "country": "FR",
            "language": "fr",
            "credit_limit": "75",
            "idempotency_key": key(),
        },
    )

    customer = Customer.objects.get(shop=shop)
    assert Account.objects.get(customer=customer).credit_limit == 75_00


def test_the_settings_index_links_the_account_settings(owner_client: Client) -> None:
    page = owner_client.get(reverse("staff:settings")).content.decode()

    assert URL in page


def test_a_manager_may_not_change_account_settings(client_as, shop: Shop) -> None:  # type: ignore[no-untyped-def]
    manager = client_as("manager")
    before = database_snapshot()

    response = _post(manager, default_no_limit="on")

    assert response.status_code == 403
    shop.refresh_from_db()
    assert shop.default_credit_limit == 300_00
    assert database_snapshot() == before
