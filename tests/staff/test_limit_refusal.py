"""A sale or a debit refused over the credit limit says by how much, and offers what the
cashier can do next: take a payment first, or override when the role allows it."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ardoise.invoicing.models import OrderStatus
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop
from tests.factories import client_for, key, make_member
from tests.invoicing.builders import line, make_order
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


@pytest.fixture
def owing(account: Account) -> Account:
    """Limit 100 €, already owes 80 €: 20 € available."""
    ledger.post_charge(account=account, total=80_00, idempotency_key=key(), actor=None)
    account.refresh_from_db()
    return account


def _plain(html: str) -> str:
    return html.replace("\xa0", " ").replace("\u202f", " ")


def test_the_limit_refusal_says_what_the_customer_would_owe_and_what_is_available(
    owing: Account,
) -> None:
    with pytest.raises(CreditLimitExceeded) as refused:
        ledger.post_charge(account=owing, total=50_00, idempotency_key=key(), actor=None)

    error = refused.value
    assert (error.would_owe, error.available) == (130_00, 20_00)
    with translation.override("fr"):  # worded in the reader's language when it is shown
        assert _plain(str(error)) == (
            "Le compte dépasserait son plafond de crédit : il devrait 130,00 € ; "
            "20,00 € disponibles."
        )
    with translation.override("en"):
        assert _plain(str(error)).endswith("it would owe €130.00; €20.00 available.")


def test_a_refused_delivery_says_by_how_much_and_offers_a_payment_first(
    owing: Account, shop: Shop
) -> None:
    order = make_order(owing, line("Panier", "1", "50.00"))
    client = client_for(make_member(shop, RoleKind.MANAGER))  # may deliver, may not override
    before = database_snapshot()

    response = client.post(
        reverse("staff:order_deliver", args=[order.pk]), {"idempotency_key": key()}, follow=True
    )

    assert database_snapshot() == before
    order.refresh_from_db()
    assert order.status == OrderStatus.OPEN
    html = _plain(response.content.decode())
    assert "it would owe €130.00; €20.00 available." in html
    payment = reverse("staff:customer_movement", args=[owing.customer_id, "payment"])
    order_page = reverse("staff:order_detail", args=[order.pk])
    assert f'href="{payment}?next={order_page.replace("/", "%2F")}"' in html
    assert "Take a payment first" in html
    assert "or ask a manager whose role may override the credit limit." in html


def test_an_owner_is_told_to_override_and_a_payment_taken_first_returns_to_the_order(
    owing: Account, owner_client: Client
) -> None:
    order = make_order(owing, line("Panier", "1", "50.00"))
    refused = owner_client.post(
        reverse("staff:order_deliver", args=[order.pk]), {"idempotency_key": key()}, follow=True
    )
    assert "or tick “Override the credit limit” and try again" in refused.content.decode()
    order_page = reverse("staff:order_detail", args=[order.pk])
    payment = reverse("staff:customer_movement", args=[owing.customer_id, "payment"])

    paid = owner_client.post(
        f"{payment}?next={order_page}",
        {
            "mode": "cash",
            "amount": "40",
            "day": timezone.localdate().isoformat(),
            "idempotency_key": key(),
        },
    )

    assert paid.status_code == 302
    assert paid["Location"] == order_page
    delivered = owner_client.post(
        reverse("staff:order_deliver", args=[order.pk]), {"idempotency_key": key()}
    )
    order.refresh_from_db()
    assert (delivered.status_code, order.status) == (302, OrderStatus.DELIVERED)


def test_a_payment_form_never_sends_to_another_site(owner_client: Client, account: Account) -> None:
    payment = reverse("staff:customer_movement", args=[account.customer_id, "payment"])

    response = owner_client.post(
        f"{payment}?next=https://evil.example/",
        {
            "mode": "cash",
            "amount": "5",
            "day": timezone.localdate().isoformat(),
            "idempotency_key": key(),
        },
    )

    assert response["Location"].startswith(
        reverse("staff:customer_account", args=[account.customer_id])
    )


def test_a_refused_debit_adjustment_says_by_how_much_and_what_to_do(
    owing: Account, shop: Shop
) -> None:
    client = client_for(make_member(shop, RoleKind.MANAGER))
    url = reverse("staff:customer_movement", args=[owing.customer_id, "debit"])
    before = database_snapshot()

    response = client.post(url, {"amount": "30", "reason": "Casse", "idempotency_key": key()})

    assert response.status_code == 400
    assert database_snapshot() == before
    (message,) = response.context["form"].errors["amount"]
    assert _plain(message) == (
        "This would take the account beyond its credit limit: it would owe €110.00; "
        "€20.00 available."
    )
    html = response.content.decode()
    assert "Take a payment first" in html
    assert "or ask a manager whose role may override the credit limit." in html
