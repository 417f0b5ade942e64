"""The portal's ordering, top-up and paying pages, through the test client: the review shows
the amount to pay after the balance, confirming sends the customer to the provider or accepts
the order at once, the order's page says where its payment stands, and every refusal is shown
on the page and writes nothing. Another customer's or another shop's ids are 404."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.invoicing.models import Order, OrderStatus
from ardoise.ledger.models import Credit
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from tests.factories import key
from tests.payments.orders_support import (
    account_with_balance,
    confirm,
    figures,
    order,
    ordering_shop,
    product,
)
from tests.portal.support import portal_client
from tests.statements.support import squash
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _url(name: str, shop: Shop, **kwargs: object) -> str:
    return reverse(f"portal:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return squash(re.sub(r"<[^>]+>", " ", response.content.decode()))


def _review(client: Client, shop: Shop, quantities: dict[int, str]):  # type: ignore[no-untyped-def]
    data = {f"quantity-{pk}": quantity for pk, quantity in quantities.items()}
    return client.post(_url("order", shop), data)


def _hidden(response, name: str) -> str:  # type: ignore[no-untyped-def]
    match = re.search(rf'name="{name}" value="([^"]*)"', response.content.decode())
    assert match is not None, name
    return match.group(1)


def _confirm(client: Client, shop: Shop, review, quantities: dict[int, str]):  # type: ignore[no-untyped-def]
    data = {f"quantity-{pk}": quantity for pk, quantity in quantities.items()}
    data |= {
        "idempotency_key": _hidden(review, "idempotency_key"),
        "expected_to_pay": _hidden(review, "expected_to_pay"),
        "note": "",
    }
    return client.post(_url("order_confirm", shop), data)


@pytest.mark.parametrize(
    ("balance", "to_pay", "words"),
    [
        (5_00, "€15.00", "Deducted from your balance −€5.00"),
        (-5_00, "€25.00", "What you owe, added +€5.00"),
        (50_00, "€0.00", "Your account covers this order: nothing to pay."),
    ],
)
def test_the_review_shows_the_amount_to_pay_after_the_balance(
    balance: int, to_pay: str, words: str
) -> None:
    shop = ordering_shop()
    basket = product(shop, "10.00")
    account = account_with_balance(shop, balance)
    client = portal_client(account.customer)

    catalogue = client.get(_url("order", shop))
    assert catalogue.status_code == 200
    assert "Panier de légumes €10.00 / piece" in _text(catalogue)
    with nothing_written():
        review = _review(client, shop, {basket.pk: "2"})

    assert review.status_code == 200
    assert f"To pay online {to_pay}" in _text(review)
    assert words in _text(review)


def test_confirming_sends_the_customer_to_the_provider_then_back_to_the_paid_order() -> None:
    shop = ordering_shop()
    basket = product(shop, "10.00")
    account = account_with_balance(shop, 5_00)
    client = portal_client(account.customer)
    review = _review(client, shop, {basket.pk: "2"})

    response = _confirm(client, shop, review, {basket.pk: "2"})

    checkout = Checkout.objects.get(account=account)
    assert response.status_code == 302
    assert response["Location"] == checkout.redirect_url
    placed = Order.objects.get(account=account)
    assert checkout.return_url == f"http://testserver/c/{shop.slug}/orders/{placed.pk}/"
    waiting = client.get(_url("order_detail", shop, order_id=placed.pk))
    assert "Waiting for your payment." in _text(waiting)
    assert "To pay online €15.00" in _text(waiting)
    assert "€5.00 held for your orders" in _text(waiting)

    provider_page = client.post(checkout.redirect_url, {"decision": "approve"})
    assert provider_page["Location"] == checkout.return_url

    paid = client.get(_url("order_detail", shop, order_id=placed.pk))
    assert "Payment received, thank you: your order is accepted." in _text(paid)
    assert "Not delivered yet · Paid online" in _text(paid)
    assert "Held on your account until delivery €20.00" in _text(paid)
    assert "You can still spend €0.00" in _text(paid)


def test_an_order_the_balance_covers_is_accepted_at_once() -> None:
    shop = ordering_shop()
    basket = product(shop, "10.00")
    account = account_with_balance(shop, 50_00)
    client = portal_client(account.customer)
    review = _review(client, shop, {basket.pk: "2"})

    response = _confirm(client, shop, review, {basket.pk: "2"})

    placed = Order.objects.get(account=account)
    assert response["Location"] == _url("order_detail", shop, order_id=placed.pk)
    page = client.get(response["Location"])
    assert "Your order is accepted. Its amount is deducted from your account." in _text(page)
    assert "Not delivered yet · Deducted from the account" in _text(page)
    assert "You can still spend €30.00" in _text(page)
    assert Checkout.objects.count() == 0


def test_the_same_confirmation_sent_twice_places_one_order() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 50_00)
    client = portal_client(account.customer)
    review = _review(client, shop, {basket.pk: "1"})

    first = _confirm(client, shop, review, {basket.pk: "1"})
    with nothing_written():
        second = _confirm(client, shop, review, {basket.pk: "1"})

    assert first["Location"] == second["Location"]
    assert Order.objects.filter(account=account).count() == 1


def test_a_balance_changed_since_the_review_is_refused_with_the_new_amount() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 5_00)
    client = portal_client(account.customer)
    review = _review(client, shop, {basket.pk: "1"})
    from ardoise.ledger import services as ledger

    ledger.record_top_up(
        account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
    )

    with nothing_written():
        response = _confirm(client, shop, review, {basket.pk: "1"})

    assert response.status_code == 409
    assert "the amount to pay is now €10.00" in _text(response)
    assert "To pay online €10.00" in _text(response)
    assert _hidden(response, "expected_to_pay") == "1000"
    again = _confirm(client, shop, response, {basket.pk: "1"})
    assert again.status_code == 302


def test_wrong_quantities_are_refused_next_to_the_product() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 5_00)
    client = portal_client(account.customer)

    with nothing_written():
        nothing = _review(client, shop, {basket.pk: ""})
        typo = _review(client, shop, {basket.pk: "deux"})
        precise = _review(client, shop, {basket.pk: "1,2345"})

    assert nothing.status_code == typo.status_code == precise.status_code == 400
    assert "Choose a quantity for at least one product." in _text(nothing)
    assert "Enter a number, for example 1.5." in _text(typo)
    assert "Enter at most 3 decimals." in _text(precise)


def test_ordering_closed_or_another_order_open_says_so_and_writes_nothing() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 50_00)
    client = portal_client(account.customer)
    review = _review(client, shop, {basket.pk: "1"})
    placed = order(account, [(basket, "1")])

    blocked = client.get(_url("order", shop))
    assert "You already have an order that is not delivered yet." in _text(blocked)
    assert f"See order No. {placed.order.pk}" in _text(blocked)
    with nothing_written():
        refused = _confirm(client, shop, review, {basket.pk: "1"})
    assert refused.status_code == 409
    assert "You already have an order that is not delivered yet." in _text(refused)

    shop.ordering_open = False
    shop.save(update_fields=["ordering_open"])
    closed = client.get(_url("order", shop))
    assert "The shop is not taking orders online at the moment." in _text(closed)
    assert "basket" not in closed.content.decode().split("<main", 1)[1]


def test_a_declined_payment_says_so_and_the_customer_pays_again_or_cancels() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    confirm(placed.checkout, approve=False)
    client = portal_client(account.customer)
    url = _url("order_detail", shop, order_id=placed.order.pk)

    page = client.get(url)
    assert "The payment was declined or cancelled. Nothing was taken from your balance" in _text(
        page
    )
    pay_again = client.post(
        _url("order_pay", shop, order_id=placed.order.pk),
        {"idempotency_key": _hidden(page, "idempotency_key")},
    )
    new = Checkout.objects.filter(order=placed.order).latest("id")
    assert pay_again["Location"] == new.redirect_url
    assert (new.amount, new.status) == (15_00, CheckoutStatus.PENDING)

    cancelled = client.post(_url("order_cancel", shop, order_id=placed.order.pk))
    assert cancelled["Location"] == url
    placed.order.refresh_from_db()
    assert placed.order.status == OrderStatus.CANCELLED
    assert figures(account)["reserved"] == 0
    assert "Cancelled" in _text(client.get(url))


def test_the_orders_list_shows_where_each_stands() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 30_00, allow_several_orders=True)
    accepted = order(account, [(basket, "1")])
    waiting = order(account, [(basket, "1")])
    client = portal_client(account.customer)

    text = _text(client.get(_url("orders", shop)))

    assert f"No. {accepted.order.pk}" in text
    assert "Not delivered yet · Deducted from the account" in text
    assert "Not delivered yet · Awaiting payment" in text
    assert waiting.to_pay == 10_00


def test_another_customers_or_another_shops_order_is_404() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 50_00)
    placed = order(account, [(product(shop), "1")])
    other = account_with_balance(shop, 0, email="autre@example.com")
    elsewhere_shop = ordering_shop()
    elsewhere = account_with_balance(elsewhere_shop, 0)
    stranger = portal_client(other.customer)

    for name in ("order_detail",):
        assert stranger.get(_url(name, shop, order_id=placed.order.pk)).status_code == 404
    with nothing_written():
        assert (
            stranger.post(_url("order_cancel", shop, order_id=placed.order.pk)).status_code == 404
        )
        assert (
            stranger.post(
                _url("order_pay", shop, order_id=placed.order.pk), {"idempotency_key": key()}
            ).status_code
            == 404
        )
    outsider = portal_client(elsewhere.customer)
    assert (
        outsider.get(_url("order_detail", elsewhere_shop, order_id=placed.order.pk)).status_code
        == 404
    )


def test_signed_out_the_ordering_pages_ask_for_a_sign_in() -> None:
    shop = ordering_shop()
    for name in ("order", "orders", "top_up", "pay_owed"):
        response = Client().get(_url(name, shop))
        assert response.status_code == 302
        assert response["Location"].startswith(_url("sign_in", shop))


# --- Top-up, paying what is owed, paying a statement ---------------------------------------------


def test_a_top_up_from_the_portal() -> None:
    shop = ordering_shop(top_up_minimum=10_00)
    account = account_with_balance(shop, 0)
    client = portal_client(account.customer)
    page = client.get(_url("top_up", shop))
    assert "Between €10.00 and €100,000.00." in _text(page)
    form_key = _hidden(page, "idempotency_key")

    with nothing_written():
        low = client.post(_url("top_up", shop), {"amount": "9.99", "idempotency_key": form_key})
    assert low.status_code == 400
    assert "A top-up must be between €10.00 and €100,000.00." in _text(low)

    response = client.post(_url("top_up", shop), {"amount": "25", "idempotency_key": form_key})
    checkout = Checkout.objects.get(account=account, purpose=CheckoutPurpose.TOP_UP)
    assert response["Location"] == checkout.redirect_url
    done = client.post(checkout.redirect_url, {"decision": "approve"})
    assert done["Location"] == checkout.return_url

    result = client.get(done["Location"])
    assert "Payment of €25.00 received, thank you." in _text(result)
    assert "€25.00 In your favour" in _text(result)
    credit = Credit.objects.get(account=account)
    receipt = client.get(_url("receipt", shop, credit_id=credit.pk))
    assert receipt.status_code == 200


def test_paying_what_is_owed_from_the_portal() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, -42_00, credit_limit=100_00)
    client = portal_client(account.customer)
    home = client.get(_url("home", shop))
    assert "Pay what I owe (€42.00)" in _text(home)

    response = client.post(_url("pay_owed", shop))
    checkout = Checkout.objects.get(account=account, purpose=CheckoutPurpose.BALANCE)
    assert checkout.amount == 42_00
    assert response["Location"] == checkout.redirect_url
    back = client.post(checkout.redirect_url, {"decision": "approve"})

    result = client.get(back["Location"])
    assert "Payment of €42.00 received" in _text(result)
    assert figures(account)["balance"] == 0
    with nothing_written():
        nothing = client.post(_url("pay_owed", shop))
    assert nothing.status_code == 409
    assert "Nothing is owed on this account." in _text(nothing)


def test_paying_a_statement_from_the_portal() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, -30_00, credit_limit=100_00)
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    client = portal_client(account.customer)
    page = client.get(_url("statements", shop))
    assert "Pay €30.00" in _text(page)

    response = client.post(_url("statement_pay_portal", shop, statement_id=statement.pk))
    checkout = Checkout.objects.get(account=account)
    assert (checkout.purpose, checkout.amount) == (CheckoutPurpose.STATEMENT, 30_00)
    client.post(response["Location"], {"decision": "approve"})

    assert "Paid online" in _text(client.get(_url("statements", shop)))
    assert figures(account)["balance"] == 0
    other = account_with_balance(shop, 0, email="autre@example.com")
    assert (
        portal_client(other.customer)
        .post(_url("statement_pay_portal", shop, statement_id=statement.pk))
        .status_code
        == 404
    )


def test_french_words_of_the_review() -> None:
    shop = ordering_shop()
    basket = product(shop, "10.00")
    account = account_with_balance(shop, 5_00, language="fr")
    client = portal_client(account.customer, language="fr")

    text = _text(_review(client, shop, {basket.pk: "2"}))

    assert "Déduit de votre solde −5,00 €" in text
    assert "À régler en ligne 15,00 €" in text
    assert "Confirmer et payer 15,00 €" in text
