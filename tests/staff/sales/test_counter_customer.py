"""Selling at the counter: the customer is found by typing, and the form shows what the account
may still take and the sale's running total before it is delivered."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.invoicing import selectors
from ardoise.invoicing.models import Order, Product
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.invoicing.builders import make_invoice, make_order
from tests.support import nothing_written

pytestmark = pytest.mark.django_db

MATCH = re.compile(r'<a href="/sales/new/\?customer=(\d+)"[^>]*>([^<]+)</a>')


def _matches(client: Client, text: str, **headers: str) -> list[str]:
    response = client.get(reverse("staff:sale_new"), {"customer_q": text}, **headers)
    assert response.status_code == 200
    return [name for _pk, name in MATCH.findall(response.content.decode())]


def test_typing_helene_finds_helene_with_its_accent(owner_client: Client, shop: Shop) -> None:
    make_account(shop, email="", name="Hélène Dupré")
    make_account(shop, email="", name="Bruno Martin")

    assert _matches(owner_client, "helene") == ["Hélène Dupré"]
    assert _matches(owner_client, "HÉLÈNE dupre") == ["Hélène Dupré"]


def test_the_customers_found_are_sorted_as_french_sorts_them(
    owner_client: Client, shop: Shop
) -> None:
    for name in ["Zoé Roux", "Émile Durand", "Élodie Petit", "Eva Morel", "Adèle Marchand"]:
        make_account(shop, name=name, email=f"{key()[:6]}@ferme.fr")

    # Every one of them has "e" in the name; accented capitals sort with their letter, not after z.
    assert _matches(owner_client, "e") == [
        "Adèle Marchand",
        "Élodie Petit",
        "Émile Durand",
        "Eva Morel",
        "Zoé Roux",
    ]


def test_an_archived_customer_or_another_shops_is_not_found(
    owner_client: Client, shop: Shop
) -> None:
    archived = make_account(shop, email="", name="Hélène Archivée").customer
    archived.is_archived = True
    archived.save(update_fields=["is_archived"])
    make_account(make_shop(), email="", name="Hélène Ailleurs")

    assert _matches(owner_client, "helene") == []


def test_the_search_as_you_type_answers_only_the_results_to_htmx(
    owner_client: Client, shop: Shop
) -> None:
    make_account(shop, email="", name="Hélène Dupré")

    response = owner_client.get(
        reverse("staff:sale_new"),
        {"customer_q": "hel"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="customer-results",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<div id="customer-results"')
    assert "Hélène Dupré" in body
    assert "<form" not in body


def test_without_javascript_the_search_is_a_plain_form_and_a_link_picks_the_customer(
    owner_client: Client, shop: Shop
) -> None:
    account = make_account(shop, email="", name="Hélène Dupré", credit_limit=100_00)
    make_invoice(account)  # owes 60,00 €

    page = owner_client.get(reverse("staff:sale_new")).content.decode()
    assert '<form method="get" action="/sales/new/" role="search"' in page
    assert 'name="customer_q"' in page

    found = owner_client.get(reverse("staff:sale_new"), {"customer_q": "helene"}).content.decode()
    assert f'href="/sales/new/?customer={account.customer_id}"' in found

    picked = owner_client.get(reverse("staff:sale_new"), {"customer": account.customer_id})
    body = picked.content.decode()
    assert (
        f'<input type="hidden" name="customer" value="{account.customer_id}" form="sale-form">'
        in body
    )
    assert re.search(r'data-testid="available-credit">40,00\s€<', body) is None  # English reader
    assert re.search(r'data-testid="available-credit">€40.00<', body)
    assert 'data-available="4000"' in body


def test_a_customer_without_limit_reads_no_limit(owner_client: Client, shop: Shop) -> None:
    account = make_account(shop, email="", name="Sans Limite", credit_limit=None)

    body = owner_client.get(reverse("staff:sale_new"), {"customer": account.customer_id})

    assert 'data-testid="available-credit">No limit<' in body.content.decode()


def test_a_refused_sale_shows_the_running_total_and_keeps_the_customer(
    owner_client: Client, shop: Shop, tomatoes: Product
) -> None:
    account = make_account(shop, email="", name="Hélène Dupré", credit_limit=10_00)
    data = {
        "customer": account.customer_id,
        "idempotency_key": key(),
        "line-0-item": "Tomates",
        "line-0-quantity": "3",  # 12,60 €
        "line-1-item": "Something without a price",
        "line-1-quantity": "1",
        "action": "order",
    }

    with nothing_written():
        response = owner_client.post(reverse("staff:sale_new"), data)

    body = response.content.decode()
    assert response.status_code == 400
    assert Order.objects.count() == 0
    assert re.search(r'id="running-total" data-total="1260">€12.60<', body)
    assert 'data-customer="' + str(account.customer_id) + '"' in body
    # 12,60 € is more than the 10,00 € available: said before delivering, not only after.
    assert re.search(r'<p id="over-available" class="negative">', body)


def test_a_sale_for_a_customer_of_another_shop_is_refused(
    owner_client: Client, tomatoes: Product
) -> None:
    theirs = make_account(make_shop())
    data = {
        "customer": theirs.customer_id,
        "idempotency_key": key(),
        "line-0-item": "Tomates",
        "line-0-quantity": "1",
        "action": "order",
    }

    response = owner_client.post(reverse("staff:sale_new"), data)

    assert response.status_code == 400
    assert "Find the customer first." in response.content.decode()
    assert Order.objects.count() == 0


def test_an_order_not_delivered_shows_the_credit_available_before_delivery(
    owner_client: Client, shop: Shop
) -> None:
    account = make_account(shop, email="", name="Hélène Dupré", credit_limit=50_00)
    order = make_order(account)  # 60,00 €

    body = owner_client.get(reverse("staff:order_detail", args=[order.pk])).content.decode()

    assert re.search(r'data-testid="available-credit">€50.00<', body)
    assert "This is more than the credit available" in body


def test_the_counter_search_is_one_query(shop: Shop, django_assert_num_queries: object) -> None:
    for n in range(30):
        make_account(shop, name=f"Hélène {n}")

    with django_assert_num_queries(1):  # type: ignore[operator]
        found = selectors.customers_for_sale(shop, "helene")

    assert len(found) == selectors.SALE_CUSTOMER_MATCHES


def test_the_available_credit_is_the_accounts(account: Account, shop: Shop) -> None:
    account.refresh_from_db()
    found = selectors.customer_for_sale(shop, account.customer_id)

    assert found is not None
    assert (found.balance, found.available_credit) == (account.balance, account.available_credit)


def test_the_counter_counts_what_online_orders_hold(shop: Shop) -> None:
    """A hold of an online order is not spendable at the counter either: the figure the cashier
    reads is the one the limit's guard applies."""
    account = make_account(shop, credit_limit=100_00, name="Inès Roux")
    ledger.reserve(account=account, amount=30_00, reference="order:1")
    account.refresh_from_db()

    found = selectors.customer_for_sale(shop, account.customer_id)

    assert found is not None
    assert found.available_credit == account.available_credit == 70_00
