"""The checkout endpoints: the quote after the balance, the order placed with what it holds,
paid, delivered or released, through the portal's services (payments.orders). Every refusal
writes nothing."""

import pytest

from ardoise.invoicing.models import Order, OrderChannel, OrderStatus, Product
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Account, Reservation, ReservationStatus
from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.shops.models import Shop
from tests.api.conftest import ApiClient, business_snapshot, new_secret
from tests.api.over_http import rows_changed
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


def _basket(account: Account, item: Product, **extra: object) -> dict[str, object]:
    return {
        "customer_id": account.customer_id,
        "currency": "EUR",
        "items": [{"product_id": item.pk, "quantity": "1"}],
        **extra,
    }


def _placing(account: Account, item: Product, **extra: object) -> dict[str, object]:
    return _basket(account, item, return_url=RETURN_URL, **extra)


def test_the_quote_is_the_total_less_the_balance_and_holds_nothing(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    body = _basket(prepaid, basket)
    before = business_snapshot()

    response = api.post("/checkout/quote", body)

    assert response.status_code == 200
    assert response.json() == {
        "customer_id": prepaid.customer_id,
        "currency": "EUR",
        "total": "20.00",
        "on_account": "5.00",
        "debt": "0.00",
        "to_pay": "15.00",
        "payment_required": True,
    }
    # Nothing held, nothing placed: only the call, in the audit log like every call.
    assert rows_changed(before, business_snapshot()) == {"audit_event": (1, 0)}


def test_placing_the_order_reserves_the_balance_and_opens_a_checkout_for_the_rest(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    response = api.post(
        "/checkout/orders", _placing(prepaid, basket, expected_to_pay="15.00"), key="web-1"
    )

    assert response.status_code == 201
    placed = response.json()
    order = Order.objects.get(pk=placed["order"]["id"])
    assert (order.channel, order.status) == (OrderChannel.PORTAL, OrderStatus.OPEN)
    assert (placed["payment_state"], placed["reserved"]) == ("awaiting_payment", "5.00")
    checkout = Checkout.objects.get(order=order)
    assert placed["checkout"]["id"] == checkout.pk
    assert (placed["checkout"]["status"], placed["checkout"]["amount"]) == ("pending", "15.00")
    assert placed["checkout"]["pay_url"] == checkout.redirect_url
    assert checkout.redirect_url
    prepaid.refresh_from_db()
    assert (prepaid.balance, prepaid.reserved) == (5_00, 5_00)

    again = api.post(
        "/checkout/orders", _placing(prepaid, basket, expected_to_pay="15.00"), key="web-1"
    )
    assert again.status_code == 201
    assert again.json()["order"]["id"] == order.pk
    assert Order.objects.filter(account=prepaid).count() == 1


def test_the_paid_checkout_shows_on_the_order_and_delivery_turns_the_hold_into_the_charge(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="web-2").json()
    confirm(Checkout.objects.get(pk=placed["checkout"]["id"]))
    order_id = placed["order"]["id"]

    paid = api.get(f"/checkout/orders/{order_id}").json()
    delivered = api.post(f"/orders/{order_id}/deliver", key="deliver-2")

    assert (paid["payment_state"], paid["checkout"]["status"]) == ("paid", CheckoutStatus.APPROVED)
    assert paid["reserved"] == "20.00"  # the balance and the payment, held for the order
    assert delivered.status_code == 200
    after = api.get(f"/checkout/orders/{order_id}").json()
    assert after["reserved"] == "0.00"
    assert after["order"]["status"] == OrderStatus.DELIVERED
    prepaid.refresh_from_db()
    assert (prepaid.balance, prepaid.reserved) == (0, 0)
    assert check_ledger(shop.pk).problems == []


def test_an_order_the_balance_covers_is_accepted_at_once(
    api: ApiClient, shop: Shop, basket: Product
) -> None:
    account = account_with_balance(shop, 50_00)

    quoted = api.post("/checkout/quote", _basket(account, basket)).json()
    assert quoted["to_pay"] == "0.00"
    placed = api.post(
        "/checkout/orders", _placing(account, basket, expected_to_pay=quoted["to_pay"]), key="web-3"
    ).json()

    assert (placed["payment_state"], placed["reserved"], placed["checkout"]) == (
        "account",
        "20.00",
        None,
    )
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (50_00, 20_00)


def test_releasing_the_order_gives_the_hold_back_and_cancels_its_checkout(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="web-4").json()
    order_id = placed["order"]["id"]

    released = api.post(f"/checkout/orders/{order_id}/release", key="release-4")

    assert released.status_code == 200
    assert (released.json()["order"]["status"], released.json()["reserved"]) == (
        OrderStatus.CANCELLED,
        "0.00",
    )
    assert released.json()["checkout"]["status"] == CheckoutStatus.CANCELLED
    reservation = Reservation.objects.get(account=prepaid)
    assert reservation.status == ReservationStatus.RELEASED
    prepaid.refresh_from_db()
    assert prepaid.reserved == 0
    before = business_snapshot()
    again = api.post(f"/checkout/orders/{order_id}/release", key="release-4b")
    assert again.status_code == 200
    assert again.json()["order"]["status"] == OrderStatus.CANCELLED
    assert rows_changed(before, business_snapshot()) == {"audit_event": (1, 0)}  # the call


def test_an_amount_to_pay_that_changed_since_the_quote_is_409_and_writes_nothing(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    before = business_snapshot()

    response = api.post(
        "/checkout/orders", _placing(prepaid, basket, expected_to_pay="20.00"), key="web-5"
    )

    assert response.status_code == 409
    assert (response.json()["error"]["code"], response.json()["error"]["field"]) == (
        "quote_changed",
        "expected_to_pay",
    )
    assert business_snapshot().changes_since(before) == {}


def test_the_same_key_for_another_basket_is_409_and_writes_nothing(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    api.post("/checkout/orders", _placing(prepaid, basket), key="web-6")
    other = _placing(prepaid, product(shop, "8.00", name="Oeufs"))  # another request
    before = business_snapshot()

    response = api.post("/checkout/orders", other, key="web-6")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_conflict"
    assert business_snapshot().changes_since(before) == {}


def test_with_ordering_closed_nothing_is_placed(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    body = _placing(prepaid, basket)
    Shop.objects.filter(pk=shop.pk).update(ordering_open=False)
    before = business_snapshot()

    response = api.post("/checkout/orders", body, key="web-7")

    assert (response.status_code, response.json()["error"]["code"]) == (422, "ordering_closed")
    assert business_snapshot().changes_since(before) == {}


def test_an_unknown_product_is_refused_with_its_field(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    body = {**_placing(prepaid, basket), "items": [{"product_id": 999_999, "quantity": "1"}]}
    before = business_snapshot()

    response = api.post("/checkout/orders", body, key="web-8")

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "product_not_orderable",
        "message": response.json()["error"]["message"],
        "field": "items",
    }
    assert business_snapshot().changes_since(before) == {}


def test_an_order_of_another_shop_or_not_from_a_checkout_is_404(
    api: ApiClient, shop: Shop, prepaid: Account, basket: Product
) -> None:
    foreign_shop = ordering_shop()
    foreign = ApiClient(new_secret(foreign_shop))
    placed = api.post("/checkout/orders", _placing(prepaid, basket), key="web-9").json()
    counter = api.post(
        "/orders",
        {
            "customer_id": prepaid.customer_id,
            "currency": "EUR",
            "lines": [
                {"description": "Pain", "quantity": "1", "unit_price": "2", "vat_rate": "5.5"}
            ],
        },
        key="counter-9",
    ).json()

    assert foreign.get(f"/checkout/orders/{placed['order']['id']}").status_code == 404
    release = foreign.post(f"/checkout/orders/{placed['order']['id']}/release", key="r")
    assert release.status_code == 404
    assert api.get(f"/checkout/orders/{counter['id']}").status_code == 404


def test_the_checkout_needs_the_sales_scope(
    api_for: object, shop: Shop, prepaid: Account, basket: Product
) -> None:
    reader = api_for(["customers.view"])  # type: ignore[operator]
    before = business_snapshot()

    quoted = reader.post("/checkout/quote", _basket(prepaid, basket))
    placed = reader.post("/checkout/orders", _placing(prepaid, basket), key="web-10")

    assert (quoted.status_code, placed.status_code) == (403, 403)
    assert business_snapshot().changes_since(before) == {}


# --- Steps out of order ---


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
            _basket(prepaid, basket),
        ),
    ]

    assert [r.status_code for r in responses] == [404, 404, 404, 404]
    assert all(r.json()["error"]["code"] == "not_found" for r in responses)
    assert business_snapshot().changes_since(before) == {}
