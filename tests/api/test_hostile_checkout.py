"""The checkout's steps out of order: each is refused with its code and writes nothing (or,
for a second release, only the call's audit event)."""

import pytest

from ardoise.invoicing.models import Product
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Account
from ardoise.payments.models import Checkout
from ardoise.shops.models import Shop
from tests.api.conftest import ApiClient, business_snapshot, new_secret
from tests.payments.orders_support import (
    RETURN_URL,
    account_with_balance,
    confirm,
    ordering_shop,
    product,
)


@pytest.fixture
def shop(db: None) -> Shop:
    return ordering_shop()


@pytest.fixture
def prepaid(shop: Shop) -> Account:
    return account_with_balance(shop, 5_00)


@pytest.fixture
def basket(shop: Shop) -> Product:
    return product(shop, "20.00")


def _placing(account: Account, item: Product) -> dict[str, object]:
    return {
        "customer_id": account.customer_id,
        "currency": "EUR",
        "items": [{"product_id": item.pk, "quantity": "1"}],
        "return_url": RETURN_URL,
    }


def test_deliver_after_release_is_409(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="w-1").json()
    order_id = placed["order"]["id"]
    assert api.post(f"/checkout/orders/{order_id}/release", key="r-1").status_code == 200
    before = business_snapshot()

    response = api.post(f"/orders/{order_id}/deliver", key="d-1")

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "order_not_open"
    assert business_snapshot().changes_since(before) == {}


def test_release_after_delivery_is_refused_and_writes_nothing(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="w-1").json()
    confirm(Checkout.objects.get(pk=placed["checkout"]["id"]))
    order_id = placed["order"]["id"]
    assert api.post(f"/orders/{order_id}/deliver", key="d-1").status_code == 200
    before = business_snapshot()

    response = api.post(f"/checkout/orders/{order_id}/release", key="r-1")

    assert response.status_code == 409, response.content
    assert response.json()["error"]["code"] == "order_not_open"
    assert business_snapshot().changes_since(before) == {}
    assert check_ledger(shop.pk).problems == []


def test_placing_again_with_a_new_key_is_409_and_holds_the_balance_once(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    assert api.post("/checkout/orders", _placing(prepaid, basket), key="w-1").status_code == 201
    before = business_snapshot()

    second = api.post("/checkout/orders", _placing(prepaid, basket), key="w-2")

    assert second.status_code == 409, second.content
    assert second.json()["error"]["code"] == "another_order_open"
    assert business_snapshot().changes_since(before) == {}
    prepaid.refresh_from_db()
    assert prepaid.reserved == 5_00
    assert check_ledger(shop.pk).problems == []


def test_the_checkout_of_another_shop_is_404(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="w-1").json()
    other = ApiClient(new_secret(ordering_shop()))
    before = business_snapshot()

    responses = [
        other.get(f"/checkout/orders/{placed['order']['id']}"),
        other.post(f"/checkout/orders/{placed['order']['id']}/release", key="r-1"),
        other.post(f"/orders/{placed['order']['id']}/deliver", key="d-1"),
        other.post(
            "/checkout/quote",
            {k: v for k, v in _placing(prepaid, basket).items() if k != "return_url"},
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["error"]["code"] == "not_found" for r in responses)
    assert business_snapshot().changes_since(before) == {}
