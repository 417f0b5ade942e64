"""The shop's side of portal orders: the Sales list says where each stands (awaiting payment,
paid online, deducted from the account, delivered) and filters them, the menu counts the new
ones, the order's page says what it holds on the account, the shop is emailed once per new
order when it asked to be (through a real SMTP server), and staff allow a customer several
open orders."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Order
from ardoise.payments.order_emails import notify_new_order_task
from ardoise.shops.models import Shop
from tests.factories import client_for, owner_of
from tests.payments.orders_support import (
    account_with_balance,
    confirm,
    deliver,
    order,
    ordering_shop,
    product,
)
from tests.statements.support import run_worker, smtp_server, squash

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Shop:
    return ordering_shop(email="ferme@example.fr")


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return squash(re.sub(r"<[^>]+>", " ", response.content.decode()))


def _row(response, order_row: Order) -> str:  # type: ignore[no-untyped-def]
    html = response.content.decode()
    match = re.search(rf'<tr data-order="{order_row.pk}">(.*?)</tr>', html, re.S)
    assert match is not None
    return squash(re.sub(r"<[^>]+>", " ", match.group(1)))


def _four_orders(shop: Shop) -> dict[str, Order]:
    basket = product(shop)
    waiting = order(
        account_with_balance(shop, 0, name="Alice", email="a@example.fr"), [(basket, "1")]
    )
    paid = order(
        account_with_balance(shop, 5_00, name="Bruno", email="b@example.fr"), [(basket, "1")]
    )
    assert paid.checkout is not None
    confirm(paid.checkout)
    deducted = order(
        account_with_balance(shop, 50_00, name="Chloé", email="c@example.fr"), [(basket, "1")]
    )
    delivered = order(
        account_with_balance(shop, 50_00, name="Denis", email="d@example.fr"), [(basket, "1")]
    )
    deliver(delivered.order)
    return {
        "waiting": waiting.order,
        "paid": paid.order,
        "deducted": deducted.order,
        "delivered": delivered.order,
    }


def test_the_sales_list_says_where_each_online_order_stands(
    shop: Shop, owner_client: Client
) -> None:
    orders = _four_orders(shop)

    response = owner_client.get(reverse("staff:sale_list"))

    assert "Not delivered Portal Awaiting payment" in _row(response, orders["waiting"])
    assert "Not delivered Portal Paid online" in _row(response, orders["paid"])
    assert "Not delivered Portal Deducted from the account" in _row(response, orders["deducted"])
    assert "Paid Portal Deducted from the account" in _row(response, orders["delivered"])


def test_the_sales_list_filters_online_orders(shop: Shop, owner_client: Client) -> None:
    orders = _four_orders(shop)
    url = reverse("staff:sale_list")

    to_prepare = owner_client.get(url, {"status": "online_to_prepare"}).content.decode()
    awaiting = owner_client.get(url, {"status": "online_awaiting_payment"}).content.decode()

    rows = lambda html: set(map(int, re.findall(r'<tr data-order="(\d+)">', html)))  # noqa: E731
    assert rows(to_prepare) == {orders["paid"].pk, orders["deducted"].pk}
    assert rows(awaiting) == {orders["waiting"].pk}


def test_the_menu_counts_new_online_orders(shop: Shop, owner_client: Client) -> None:
    _four_orders(shop)

    page = owner_client.get(reverse("staff:customer_list"))

    assert "2 new online orders" in _text(page)
    assert 'href="/sales/?status=online_to_prepare"' in page.content.decode() or (
        "?status=online_to_prepare" in page.content.decode()
    )
    shop.ordering_open = False
    shop.save(update_fields=["ordering_open"])
    assert "new online order" not in _text(owner_client.get(reverse("staff:customer_list")))


def test_the_order_page_says_what_an_online_order_holds(shop: Shop, owner_client: Client) -> None:
    orders = _four_orders(shop)

    paid = owner_client.get(reverse("staff:order_detail", args=[orders["paid"].pk]))
    waiting = owner_client.get(reverse("staff:order_detail", args=[orders["waiting"].pk]))

    assert (
        "Ordered online and paid online: €20.00 is held on the customer's account for it"
        in _text(paid)
    )
    assert "This is more than the credit available" not in _text(paid)
    assert "awaiting the customer's online payment" in _text(waiting)
    assert "This is more than the credit available" in _text(waiting)


def test_the_shop_is_emailed_once_about_each_new_order(
    shop: Shop, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    shop.notify_new_orders = True
    shop.save(update_fields=["notify_new_orders"])
    basket = product(shop)
    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):
            accepted = order(account_with_balance(shop, 50_00, name="Chloé"), [(basket, "2")])
            waiting = order(
                account_with_balance(shop, 5_00, name="Bruno", email="b@example.fr"),
                [(basket, "1")],
            )
        run_worker()
        assert len(sink.messages) == 1  # the one waiting for its payment is not new yet
        assert waiting.checkout is not None
        with django_capture_on_commit_callbacks(execute=True):
            confirm(waiting.checkout)
        run_worker()
        notify_new_order_task.enqueue(accepted.order.pk)  # run twice: sent once
        run_worker()

    assert [message["To"] for message in sink.messages] == ["ferme@example.fr"] * 2
    first, second = sink.messages
    assert first["Subject"] == f"Nouvelle commande en ligne n° {accepted.order.pk} de Chloé"
    body = squash(first.get_content())
    assert "Panier de légumes × 2 : 40,00 €" in body
    assert "Paiement : Déduit du compte client" in body
    assert f"/sales/orders/{accepted.order.pk}/" in body
    assert "Paiement : Payée en ligne" in second.get_content()


def test_no_email_when_the_shop_did_not_ask(shop: Shop, django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with smtp_server() as sink:
        with django_capture_on_commit_callbacks(execute=True):
            order(account_with_balance(shop, 50_00), [(product(shop), "1")])
        run_worker()

    assert sink.messages == []


def test_staff_allow_a_customer_several_open_orders(shop: Shop) -> None:
    account = account_with_balance(shop, 0)
    client = client_for(owner_of(shop))
    customer = Customer.objects.get(pk=account.customer_id)
    form = client.get(reverse("staff:customer_edit", args=[customer.pk]))
    assert "May have several open orders" in _text(form)

    data = {
        "name": customer.name,
        "email": customer.email,
        "country": "FR",
        "language": "",
        "allow_several_orders": "on",
    }
    response = client.post(reverse("staff:customer_edit", args=[customer.pk]), data)

    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.allow_several_orders is True
