"""Creating and editing a customer: clear field errors, the account opened with the customer."""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import key
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


def _fields(**changes: str) -> dict[str, str]:
    return {
        "name": "Léa Petit",
        "company": "Café de la Poste",
        "email": "lea@cafe.fr",
        "phone": "04 78 00 00 01",
        "country": "FR",
        "language": "",  # not set, as the factories make customers
        "credit_limit": "300",
        "idempotency_key": key(),
        **changes,
    }


def test_new_customer_form_starts_with_the_shops_default_limit(
    owner_client: Client, shop: Shop
) -> None:
    response = owner_client.get(reverse("staff:customer_create"))

    assert response.context["form"]["credit_limit"].value() == "300.00"  # English format


@pytest.mark.parametrize(
    ("typed", "no_limit", "stored"), [("300", "", 300_00), ("", "on", None), ("0", "", 0)]
)
def test_creating_a_customer_opens_their_account(
    owner_client: Client, shop: Shop, typed: str, no_limit: str, stored: int | None
) -> None:
    response = owner_client.post(
        reverse("staff:customer_create"), _fields(credit_limit=typed, no_limit=no_limit)
    )

    customer = Customer.objects.get(shop=shop)
    assert response.status_code == 302
    assert response["Location"] == reverse("staff:customer_account", args=[customer.pk])
    assert (customer.name, customer.company, customer.email) == (
        "Léa Petit",
        "Café de la Poste",
        "lea@cafe.fr",
    )
    account = Account.objects.get(customer=customer)
    assert (account.shop_id, account.credit_limit, account.balance) == (shop.pk, stored, 0)
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "customers.customer.created",
        "ledger.account.opened",
    }


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"credit_limit": "-3"}, "credit_limit", "Enter an amount of zero or more."),
        ({"credit_limit": "lots"}, "credit_limit", "Enter an amount, for example 12,50."),
        (
            {"credit_limit": ""},
            "credit_limit",
            "Enter a credit limit (0 for no credit), or tick “No limit”.",
        ),
    ],
)
def test_create_shows_clear_field_errors_and_writes_nothing(
    owner_client: Client, shop: Shop, changes: dict[str, str], field: str, message: str
) -> None:
    before = database_snapshot()

    response = owner_client.post(reverse("staff:customer_create"), _fields(**changes))

    assert response.status_code == 400
    assert response.context["form"].errors == {field: [message]}
    assert "Please correct the fields marked below." in response.content.decode()
    assert database_snapshot() == before


def test_new_customer_form_starts_with_no_limit_ticked_when_the_shop_default_is_none(
    owner_client: Client, shop: Shop
) -> None:
    shop.default_credit_limit = None
    shop.save(update_fields=["default_credit_limit"])

    form = owner_client.get(reverse("staff:customer_create")).context["form"]

    assert (form["credit_limit"].value(), form["no_limit"].value()) == (None, True)


def test_the_create_form_posted_twice_creates_one_customer(
    owner_client: Client, shop: Shop
) -> None:
    data = _fields()
    first = owner_client.post(reverse("staff:customer_create"), data)
    after_first = database_snapshot()

    second = owner_client.post(reverse("staff:customer_create"), data)

    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert database_snapshot() == after_first
    assert Customer.objects.filter(shop=shop).count() == 1


def test_editing_a_customer_saves_and_audits(owner_client: Client, account: Account) -> None:
    url = reverse("staff:customer_edit", args=[account.customer_id])
    data = {
        key_: value
        for key_, value in _fields(name="Camille Martin-Roux").items()
        if key_ != "idempotency_key"
    }

    response = owner_client.post(url, data)

    assert response.status_code == 302
    account.customer.refresh_from_db()
    assert account.customer.name == "Camille Martin-Roux"
    event = AuditEvent.objects.filter(action="customers.customer.updated").get()
    assert event.data == {"fields": ["company", "email", "name", "phone"]}


def test_editing_with_errors_changes_nothing(owner_client: Client, account: Account) -> None:
    url = reverse("staff:customer_edit", args=[account.customer_id])
    before = database_snapshot()

    response = owner_client.post(url, {"name": "", "email": "x", "country": "FR", "language": "fr"})

    assert response.status_code == 400
    assert sorted(response.context["form"].errors) == ["email", "name"]
    account.customer.refresh_from_db()
    assert account.customer.name == "Camille Martin"
    assert database_snapshot() == before
