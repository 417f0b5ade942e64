"""Back after paying or ordering from the portal, then the form sent again: one checkout, one
order, unless the customer says two (portal/repeats.py).

Each test walks the flow as the browser does: GET the form page (a key), POST it, GET the page
again (what Back fetches when it does not restore the page: a fresh key), POST it again with the
same values. A top-up of the same amount or the same order is asked about first and writes
nothing; the customer's "yes" writes exactly one more; the same page sent again (its key used)
gives the first checkout or order back and writes nothing. Paying what is owed, a statement or an
order again are decided by state: sent again they reach the one checkout, and once paid nothing
is written. Every page with a money form may be restored by Back but never stored by a shared
cache.
"""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.core.repeats import WINDOW
from ardoise.invoicing.models import Order, Product
from ardoise.ledger.models import Account, Credit, CreditKind
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.payments.orders import cancel_online_order
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from tests.factories import key
from tests.payments.orders_support import account_with_balance, confirm, ordering_shop, product
from tests.portal.support import portal_client
from tests.statements.support import squash
from tests.support import nothing_written

pytestmark = pytest.mark.django_db

CONFIRM = {"confirm_repeat": "1"}


def _url(name: str, shop: Shop, **kwargs: object) -> str:
    return reverse(f"portal:{name}", kwargs={"shop_slug": shop.slug, **kwargs})


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return squash(re.sub(r"<[^>]+>", " ", response.content.decode()))


def _shown(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert found, f"no {name} on the page"
    return found.group(1)


def _checkouts(purpose: str) -> list[tuple[int, str]]:
    rows = Checkout.objects.filter(purpose=purpose).order_by("id")
    return list(rows.values_list("amount", "status"))


# --- Top-up -------------------------------------------------------------------------------------


@pytest.fixture
def shop() -> Shop:
    return ordering_shop(top_up_minimum=10_00)


@pytest.fixture
def account(shop: Shop) -> Account:
    return account_with_balance(shop, 0)


@pytest.fixture
def client(account: Account) -> Client:
    return portal_client(account.customer)


def _top_up_page(client: Client, shop: Shop, amount: str = "25") -> dict[str, str]:
    """What the browser sends from the top-up page it just fetched: its key and the amount."""
    page = client.get(_url("top_up", shop))
    return {"idempotency_key": _shown(page.content.decode(), "idempotency_key"), "amount": amount}


def _top_up(client: Client, shop: Shop, amount: str = "25"):  # type: ignore[no-untyped-def]
    return client.post(_url("top_up", shop), _top_up_page(client, shop, amount))


def test_back_then_the_same_top_up_while_the_first_waits_offers_to_finish_it(
    shop: Shop, client: Client
) -> None:
    first = _top_up(client, shop)
    (started,) = Checkout.objects.filter(purpose=CheckoutPurpose.TOP_UP)
    assert first["Location"] == started.redirect_url
    again = _top_up_page(client, shop)  # Back: the page fetched again, a fresh key

    with nothing_written():
        asked = client.post(_url("top_up", shop), again)

    assert asked.status_code == 409
    text = _text(asked)
    assert re.search(
        r"You started a top-up of €25\.00 \d+ seconds? ago and it is not paid yet\.", text
    )
    assert "Nothing new is charged until you choose." in text
    page = asked.content.decode()
    assert f'href="{started.redirect_url}" data-testid="repeat-see">Finish that payment' in page
    assert 'name="confirm_repeat" value="1"' in page
    assert "Start a new top-up of €25.00" in text
    assert _shown(page, "idempotency_key") == again["idempotency_key"]
    assert _checkouts(CheckoutPurpose.TOP_UP) == [(25_00, CheckoutStatus.PENDING)]


def test_back_then_the_same_top_up_once_paid_says_so_and_writes_nothing(
    shop: Shop, account: Account, client: Client
) -> None:
    _top_up(client, shop)
    paid = Checkout.objects.get(purpose=CheckoutPurpose.TOP_UP)
    assert confirm(paid) == "payment_recorded"
    paid.refresh_from_db()
    again = _top_up_page(client, shop)

    with nothing_written():
        asked = client.post(_url("top_up", shop), again)

    assert asked.status_code == 409
    text = _text(asked)
    assert re.search(r"You topped up €25\.00 \d+ seconds? ago, and it is on your account\.", text)
    assert "Would you like to top up €25.00 again?" in text
    assert _url("receipt", shop, credit_id=paid.credit_id) in asked.content.decode()
    assert "See that payment" in text
    assert "Yes, top up €25.00 again" in text
    account.refresh_from_db()
    assert account.balance == 25_00


def test_the_second_top_up_chosen_opens_exactly_one_more_checkout(
    shop: Shop, client: Client
) -> None:
    _top_up(client, shop)
    again = _top_up_page(client, shop)
    client.post(_url("top_up", shop), again)  # asked

    chosen = client.post(_url("top_up", shop), again | CONFIRM)
    twice = client.post(_url("top_up", shop), again | CONFIRM)  # a double click on it

    second = Checkout.objects.filter(purpose=CheckoutPurpose.TOP_UP).order_by("id").last()
    assert second is not None
    assert chosen["Location"] == twice["Location"] == second.redirect_url
    assert _checkouts(CheckoutPurpose.TOP_UP) == [(25_00, CheckoutStatus.PENDING)] * 2


def test_the_same_top_up_page_sent_again_gives_its_checkout_and_writes_nothing(
    shop: Shop, account: Account, client: Client
) -> None:
    """A double click, or the page restored by Back with its key: the first checkout."""
    fields = _top_up_page(client, shop)
    first = client.post(_url("top_up", shop), fields)

    with nothing_written():
        again = client.post(_url("top_up", shop), fields)
    assert again["Location"] == first["Location"]

    paid = Checkout.objects.get(purpose=CheckoutPurpose.TOP_UP)
    confirm(paid)
    with nothing_written():
        after = client.post(_url("top_up", shop), fields, follow=True)
    assert "Payment of €25.00 received, thank you." in _text(after)
    assert _checkouts(CheckoutPurpose.TOP_UP) == [(25_00, CheckoutStatus.APPROVED)]
    top_ups = Credit.objects.filter(account=account, kind=CreditKind.TOP_UP)
    assert list(top_ups.values_list("amount", flat=True)) == [25_00]


def test_another_amount_is_not_asked_about(shop: Shop, client: Client) -> None:
    _top_up(client, shop)

    other = _top_up(client, shop, amount="30")

    assert other.status_code == 302
    assert _checkouts(CheckoutPurpose.TOP_UP) == [
        (25_00, CheckoutStatus.PENDING),
        (30_00, CheckoutStatus.PENDING),
    ]


def test_a_declined_top_up_tried_again_is_not_asked_about(shop: Shop, client: Client) -> None:
    _top_up(client, shop)
    confirm(Checkout.objects.get(purpose=CheckoutPurpose.TOP_UP), approve=False)

    again = _top_up(client, shop)

    assert again.status_code == 302
    assert _checkouts(CheckoutPurpose.TOP_UP) == [
        (25_00, CheckoutStatus.DECLINED),
        (25_00, CheckoutStatus.PENDING),
    ]


def test_the_same_top_up_after_the_window_is_not_asked_about(shop: Shop, client: Client) -> None:
    _top_up(client, shop)

    with time_machine.travel(timezone.now() + WINDOW + dt.timedelta(seconds=1)):
        again = _top_up(client, shop)

    assert again.status_code == 302
    assert len(_checkouts(CheckoutPurpose.TOP_UP)) == 2


def test_another_customer_topping_up_the_same_amount_is_not_asked_about(
    shop: Shop, client: Client
) -> None:
    _top_up(client, shop)
    other = account_with_balance(shop, 0, name="Léa Durand", email="lea@example.com")

    response = _top_up(portal_client(other.customer), shop)

    assert response.status_code == 302
    assert len(_checkouts(CheckoutPurpose.TOP_UP)) == 2


def test_the_top_up_question_is_in_french(shop: Shop, account: Account) -> None:
    account.customer.language = "fr"
    account.customer.save(update_fields=["language"])
    client = portal_client(account.customer, language="fr")
    _top_up(client, shop)

    with time_machine.travel(timezone.now() + dt.timedelta(seconds=30)):
        asked = _top_up(client, shop)

    text = _text(asked)
    assert (
        "Vous avez commencé un rechargement de 25,00 € il y a 30 secondes, et il n’est pas "
        "encore payé. Vous pouvez terminer ce paiement, ou en commencer un nouveau. Rien de "
        "nouveau n’est débité tant que vous n’avez pas choisi."
    ) in text
    assert "Terminer ce paiement" in text
    assert "Commencer un nouveau rechargement de 25,00 €" in text


# --- Online order -------------------------------------------------------------------------------


def _basket(shop: Shop, quantity: str = "2", note: str = "") -> dict[str, str]:
    (basket,) = Product.objects.filter(shop_id=shop.pk)
    return {f"quantity-{basket.pk}": quantity, "note": note}


def _review_fields(client: Client, shop: Shop, **basket: str) -> dict[str, str]:
    """What the review page (drawn afresh, as Back then the basket again draws it) sends."""
    data = _basket(shop, **basket)
    review = client.post(_url("order", shop), data).content.decode()
    return data | {
        "idempotency_key": _shown(review, "idempotency_key"),
        "expected_to_pay": _shown(review, "expected_to_pay"),
    }


@pytest.fixture
def orderer(shop: Shop) -> Client:
    """A customer with 100 € on their account, who may have several orders open."""
    product(shop, "10.00", name="Panier de légumes")
    account = account_with_balance(shop, 100_00, name="Marc Petit", email="marc@example.com")
    account.customer.allow_several_orders = True
    account.customer.save(update_fields=["allow_several_orders"])
    return portal_client(account.customer)


def test_back_then_the_same_order_asks_and_places_nothing(shop: Shop, orderer: Client) -> None:
    first = orderer.post(_url("order_confirm", shop), _review_fields(orderer, shop))
    (placed,) = Order.objects.all()
    assert first["Location"] == _url("order_detail", shop, order_id=placed.pk)
    again = _review_fields(orderer, shop)

    with nothing_written():
        asked = orderer.post(_url("order_confirm", shop), again)

    assert asked.status_code == 409
    text = _text(asked)
    assert re.search(
        rf"You placed the same order \d+ seconds? ago \(order No\. {placed.pk}, €20\.00\)\. "
        r"Would you like to place it a second time\? Nothing new is ordered or charged until you "
        r"choose\.",
        text,
    )
    page = asked.content.decode()
    assert f'href="{_url("order_detail", shop, order_id=placed.pk)}"' in page
    assert "Yes, place it again" in text
    assert 'data-testid="confirm-order"' not in page  # the two choices only
    assert _shown(page, "idempotency_key") == again["idempotency_key"]
    assert Order.objects.count() == 1


def test_the_second_order_chosen_places_exactly_one_more(shop: Shop, orderer: Client) -> None:
    orderer.post(_url("order_confirm", shop), _review_fields(orderer, shop))
    again = _review_fields(orderer, shop)
    orderer.post(_url("order_confirm", shop), again)  # asked

    chosen = orderer.post(_url("order_confirm", shop), again | CONFIRM)
    twice = orderer.post(_url("order_confirm", shop), again | CONFIRM)  # a double click on it

    second = Order.objects.order_by("id").last()
    assert second is not None
    assert chosen["Location"] == twice["Location"] == _url("order_detail", shop, order_id=second.pk)
    assert Order.objects.count() == 2


def test_the_same_review_sent_again_gives_its_order_and_writes_nothing(
    shop: Shop, orderer: Client
) -> None:
    fields = _review_fields(orderer, shop)
    first = orderer.post(_url("order_confirm", shop), fields)

    with nothing_written():
        again = orderer.post(_url("order_confirm", shop), fields)

    assert again["Location"] == first["Location"]
    assert Order.objects.count() == 1


def test_another_basket_or_a_cancelled_first_order_is_not_asked_about(
    shop: Shop, orderer: Client
) -> None:
    orderer.post(_url("order_confirm", shop), _review_fields(orderer, shop))

    other = orderer.post(_url("order_confirm", shop), _review_fields(orderer, shop, quantity="3"))
    assert other.status_code == 302
    noted = _review_fields(orderer, shop, note="Sans sac")
    assert orderer.post(_url("order_confirm", shop), noted).status_code == 302
    for each in Order.objects.all():
        cancel_online_order(order=each)
    after_cancelling = orderer.post(_url("order_confirm", shop), _review_fields(orderer, shop))

    assert after_cancelling.status_code == 302
    assert Order.objects.count() == 4


def test_one_order_at_a_time_the_rule_answers_not_the_question(shop: Shop, client: Client) -> None:
    product(shop, "10.00", name="Panier de légumes")
    client.post(_url("order_confirm", shop), _review_fields(client, shop))

    with nothing_written():
        refused = client.post(_url("order_confirm", shop), _review_fields(client, shop))

    assert refused.status_code == 409
    assert "You already have an order that is not delivered yet." in _text(refused)
    assert "Would you like to place it a second time?" not in _text(refused)


# --- Decided by state: what is owed, a statement, an order paid again ----------------------------


@pytest.fixture
def owing(shop: Shop) -> Client:
    account = account_with_balance(
        shop, -30_00, credit_limit=None, name="Paul Roux", email="paul@example.com"
    )
    return portal_client(account.customer)


def test_paying_what_is_owed_again_reaches_the_one_checkout_and_once_paid_writes_nothing(
    shop: Shop, owing: Client
) -> None:
    first = owing.post(_url("pay_owed", shop))
    (started,) = Checkout.objects.filter(purpose=CheckoutPurpose.BALANCE)

    with nothing_written():
        again = owing.post(_url("pay_owed", shop))  # Back, then the button again
    assert again["Location"] == first["Location"] == started.redirect_url

    confirm(started)
    with nothing_written():
        after = owing.post(_url("pay_owed", shop))
    assert after.status_code == 409
    assert "You owe nothing at the moment." in _text(after)
    assert _checkouts(CheckoutPurpose.BALANCE) == [(30_00, CheckoutStatus.APPROVED)]


def test_paying_a_statement_again_reaches_its_one_checkout_and_once_paid_writes_nothing(
    shop: Shop,
) -> None:
    account = account_with_balance(
        shop, -30_00, credit_limit=None, name="Paul Roux", email="paul@example.com"
    )
    statement = issue_statement(account=account, actor=None, idempotency_key=key())
    owing = portal_client(account.customer)
    pay = _url("statement_pay_portal", shop, statement_id=statement.pk)
    first = owing.post(pay)
    (started,) = Checkout.objects.filter(purpose=CheckoutPurpose.STATEMENT)

    with nothing_written():
        again = owing.post(pay)
    assert again["Location"] == first["Location"] == started.redirect_url

    confirm(started)
    with nothing_written():
        after = owing.post(pay)
    assert after["Location"] == "http://testserver" + _url("statements", shop)
    assert _checkouts(CheckoutPurpose.STATEMENT) == [(30_00, CheckoutStatus.APPROVED)]


def test_paying_an_order_again_reaches_its_checkout_and_once_paid_writes_nothing(
    shop: Shop, client: Client
) -> None:
    product(shop, "10.00", name="Panier de légumes")
    client.post(_url("order_confirm", shop), _review_fields(client, shop))
    (placed,) = Order.objects.all()
    confirm(Checkout.objects.get(order=placed), approve=False)  # declined: "Pay again"
    detail = _url("order_detail", shop, order_id=placed.pk)
    pay = _url("order_pay", shop, order_id=placed.pk)

    def fields() -> dict[str, str]:
        return {"idempotency_key": _shown(client.get(detail).content.decode(), "idempotency_key")}

    used = fields()
    first = client.post(pay, used)
    pending = Checkout.objects.get(order=placed, status=CheckoutStatus.PENDING)
    assert first["Location"] == pending.redirect_url
    with nothing_written():
        again = client.post(pay, used)  # the same page sent again
    assert again["Location"] == pending.redirect_url
    fresh = client.post(pay, {"idempotency_key": key()})  # another tab, drawn before it paid
    assert fresh["Location"] == pending.redirect_url

    confirm(pending)
    with nothing_written():
        after = client.post(pay, {"idempotency_key": key()}, follow=True)
    assert "Payment received, thank you: your order is accepted." in _text(after)
    assert _checkouts(CheckoutPurpose.ORDER) == [
        (20_00, CheckoutStatus.DECLINED),
        (20_00, CheckoutStatus.APPROVED),
    ]
    assert Credit.objects.filter(kind=CreditKind.PAYMENT).count() == 1


# --- The pages may be restored by Back, never shared ---------------------------------------------


def test_every_portal_page_with_a_money_form_may_be_restored_but_never_shared(
    shop: Shop, client: Client
) -> None:
    """`no-store` would keep Chromium from restoring the page (and its key) on Back."""
    product(shop, "10.00", name="Panier de légumes")
    client.post(_url("order_confirm", shop), _review_fields(client, shop))
    (placed,) = Order.objects.all()
    pages = [
        client.get(_url("top_up", shop)),
        client.get(_url("pay_owed", shop)),
        client.get(_url("order", shop)),
        client.post(_url("order", shop), _basket(shop)),  # the review
        client.get(_url("order_detail", shop, order_id=placed.pk)),
        client.get(_url("statements", shop)),
    ]

    assert [page.status_code for page in pages] == [200] * 6
    for page in pages:
        assert sorted(page["Cache-Control"].split(", ")) == ["no-cache", "private"]
