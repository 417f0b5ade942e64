"""Online orders that net the balance (issue 12), on SQLite and PostgreSQL alike: the quote, the
reservation taken with the order, the checkout paid, declined, abandoned or cancelled, delivery,
top-ups and paying what is owed. Every refusal writes nothing."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Order, OrderChannel, OrderPaymentState, OrderStatus
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import IdempotencyConflict
from ardoise.ledger.models import ChargeStatus, Credit, CreditKind, Reservation
from ardoise.ledger.selectors import held_reservations
from ardoise.payments.errors import (
    AboveOnlineMaximum,
    AnotherOrderOpen,
    InvalidQuantity,
    NothingOwed,
    NothingToPay,
    OnlinePaymentNotOffered,
    OrderingClosed,
    ProductNotOrderable,
    QuoteChanged,
    TopUpOutOfRange,
)
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.payments.online import set_online_provider
from ardoise.payments.orders import (
    CartItem,
    cancel_online_order,
    expire_checkouts,
    pay_order,
    quote,
)
from ardoise.payments.top_ups import pay_amount_owed, start_top_up
from ardoise.portal.selectors import balance_summary
from tests.factories import key, make_account, make_shop
from tests.payments.orders_support import (
    RETURN_URL,
    account_with_balance,
    confirm,
    deliver,
    figures,
    order,
    ordering_shop,
    product,
)
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _clean() -> None:
    assert check_ledger().problems == []


# --- The quote ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "reserved", "on_account", "debt", "to_pay"),
    [
        (5_00, 0, 5_00, 0, 15_00),
        (-5_00, 0, 0, 5_00, 25_00),
        (50_00, 0, 20_00, 0, 0),
        (50_00, 40_00, 10_00, 0, 10_00),  # what other orders hold is not spent twice
        (0, 0, 0, 0, 20_00),
    ],
)
def test_the_quote_when_payment_is_required(
    balance: int, reserved: int, on_account: int, debt: int, to_pay: int
) -> None:
    account = make_account(make_shop(), credit_limit=0)
    account.balance, account.reserved = balance, reserved

    figures_ = quote(total=20_00, account=account, payment_required=True)

    assert (figures_.on_account, figures_.debt, figures_.to_pay) == (on_account, debt, to_pay)
    assert figures_.accepted_at_once is (to_pay == 0)


@pytest.mark.parametrize(
    ("balance", "limit", "reserved", "on_account", "to_pay"),
    [
        (0, 100_00, 0, 20_00, 0),
        (5_00, 10_00, 0, 15_00, 5_00),
        (0, 100_00, 90_00, 10_00, 10_00),
        (-50_00, None, 0, 20_00, 0),
        (-30_00, 10_00, 0, 0, 20_00),
    ],
)
def test_the_quote_when_payment_is_not_required(
    balance: int, limit: int | None, reserved: int, on_account: int, to_pay: int
) -> None:
    account = make_account(make_shop(), credit_limit=limit)
    account.balance, account.reserved = balance, reserved

    figures_ = quote(total=20_00, account=account, payment_required=False)

    assert (figures_.on_account, figures_.debt, figures_.to_pay) == (on_account, 0, to_pay)


# --- The three 20 € cases of the issue ------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "to_pay", "held", "after_delivery", "deposit_after"),
    [(5_00, 15_00, 5_00, 0, 0), (-5_00, 25_00, 0, 0, 0), (50_00, 0, 20_00, 30_00, 30_00)],
)
def test_twenty_euros_ordered_with_the_balance_netted(
    balance: int, to_pay: int, held: int, after_delivery: int, deposit_after: int
) -> None:
    shop = ordering_shop()
    basket = product(shop, "10.00")
    account = account_with_balance(shop, balance)

    placed = order(account, [(basket, "2")])

    placed.order.refresh_from_db()
    assert placed.order.total == 20_00
    assert placed.order.channel == OrderChannel.PORTAL
    assert placed.to_pay == to_pay
    assert figures(account)["reserved"] == held
    assert figures(account)["balance"] == balance  # a reservation is not a posting
    if to_pay == 0:
        assert placed.checkout is None
        assert placed.order.payment_state == OrderPaymentState.ACCOUNT
    else:
        assert placed.order.payment_state == OrderPaymentState.AWAITING
        checkout = placed.checkout
        assert checkout is not None
        assert (checkout.purpose, checkout.order_id, checkout.amount, checkout.status) == (
            CheckoutPurpose.ORDER,
            placed.order.pk,
            to_pay,
            CheckoutStatus.PENDING,
        )
        assert checkout.redirect_url.startswith("/p/test-provider/")

        assert confirm(checkout) == "payment_recorded"

        credit = Credit.objects.get(account=account, mode="online")
        assert (credit.amount, credit.kind, credit.reference) == (
            to_pay,
            CreditKind.PAYMENT,
            f"Paiement en ligne de la commande n° {placed.order.pk}",
        )
        placed.order.refresh_from_db()
        assert placed.order.payment_state == OrderPaymentState.PAID
    # Before delivery, what the customer can still spend already says what is left.
    assert figures(account) | {"debt": None, "deposit": None} == {
        "balance": balance + to_pay,
        "debt": None,
        "deposit": None,
        "reserved": 20_00,
        "spendable": after_delivery,
    }
    assert balance_summary(account).spendable == after_delivery
    _clean()

    invoice = deliver(placed.order)

    assert figures(account) == {
        "balance": after_delivery,
        "debt": 0,
        "deposit": deposit_after,
        "reserved": 0,
        "spendable": after_delivery,
    }
    invoice.charge.refresh_from_db()
    assert invoice.charge.status == ChargeStatus.PAID
    assert [r.status for r in Reservation.objects.filter(account=account).order_by("id")][-1] == (
        "consumed"
    )
    assert Credit.objects.filter(account=account, mode="online").count() == (1 if to_pay else 0)
    _clean()


def test_a_debt_is_settled_by_the_orders_payment_even_with_credits_left_unapplied() -> None:
    shop = ordering_shop(auto_allocate=False)
    basket = product(shop)
    account = account_with_balance(shop, -30_00, credit_limit=0)
    from ardoise.ledger import services as ledger

    ledger.record_payment(
        account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
    )
    assert figures(account)["balance"] == -5_00

    placed = order(account, [(basket, "1")])
    assert placed.checkout is not None
    assert placed.to_pay == 25_00
    confirm(placed.checkout)
    invoice = deliver(placed.order)

    assert figures(account)["balance"] == 0
    assert (figures(account)["debt"], figures(account)["deposit"]) == (0, 0)
    invoice.charge.refresh_from_db()
    assert invoice.charge.status == ChargeStatus.PAID
    _clean()


# --- Payment not required -----------------------------------------------------------------------


def test_payment_not_required_accepts_what_the_balance_and_limit_cover() -> None:
    shop = ordering_shop(order_payment_required=False)
    basket = product(shop)
    account = account_with_balance(shop, 0, credit_limit=100_00)

    placed = order(account, [(basket, "1")])

    assert placed.checkout is None
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.ACCOUNT
    assert figures(account)["reserved"] == 20_00
    assert figures(account)["spendable"] == 80_00
    deliver(placed.order)
    assert (figures(account)["balance"], figures(account)["spendable"]) == (-20_00, 80_00)
    _clean()


def test_payment_not_required_asks_for_the_part_not_covered() -> None:
    shop = ordering_shop(order_payment_required=False)
    basket = product(shop)
    account = account_with_balance(shop, 5_00, credit_limit=10_00)

    placed = order(account, [(basket, "1")])

    assert placed.to_pay == 5_00
    assert figures(account)["reserved"] == 15_00
    assert figures(account)["spendable"] == 0
    assert placed.checkout is not None
    assert placed.checkout.charge_ids == []
    confirm(placed.checkout)
    assert figures(account)["reserved"] == 20_00
    deliver(placed.order)
    assert (figures(account)["balance"], figures(account)["spendable"]) == (-10_00, 0)
    _clean()


def test_payment_not_required_and_no_limit_accepts_any_order() -> None:
    shop = ordering_shop(order_payment_required=False)
    account = account_with_balance(shop, -500_00, credit_limit=None)

    placed = order(account, [(product(shop), "3")])

    assert placed.checkout is None
    assert figures(account)["reserved"] == 60_00


# --- Refusals write nothing ---------------------------------------------------------------------


def test_refusals_write_nothing() -> None:
    shop = ordering_shop()
    basket = product(shop)
    archived = product(shop, name="Ancien panier")
    invoicing.update_product(
        product=archived,
        actor=None,
        name=archived.name,
        unit="piece",
        unit_price=archived.unit_price,
        vat_rate=archived.vat_rate,
        is_archived=True,
    )
    elsewhere = product(ordering_shop())
    account = account_with_balance(shop, 5_00)
    order(account, [(basket, "1")], idempotency_key="first")
    other = account_with_balance(shop, 0, email="autre@example.com")

    cases: list[tuple[type[Exception], dict[str, object]]] = [
        (AnotherOrderOpen, {"account": account, "items": [(basket, "1")]}),
        (ProductNotOrderable, {"account": other, "items": [(archived, "1")]}),
        (ProductNotOrderable, {"account": other, "items": [(elsewhere, "1")]}),
        (ProductNotOrderable, {"account": other, "items": [(basket, "1"), (basket, "2")]}),
        (InvalidQuantity, {"account": other, "items": [(basket, "0")]}),
        (InvalidQuantity, {"account": other, "items": [(basket, "-1")]}),
        (InvalidQuantity, {"account": other, "items": [(basket, "1.2345")]}),
        (InvalidQuantity, {"account": other, "items": [(basket, "NaN")]}),
        (AboveOnlineMaximum, {"account": other, "items": [(basket, "5001")]}),
        (QuoteChanged, {"account": other, "items": [(basket, "1")], "expected_to_pay": 15_00}),
        (
            IdempotencyConflict,
            {"account": account, "items": [(basket, "2")], "idempotency_key": "first"},
        ),
    ]
    for error, arguments in cases:
        with nothing_written(), pytest.raises(error):
            order(**arguments)  # type: ignore[arg-type]

    shop.ordering_open = False
    shop.save(update_fields=["ordering_open"])
    with nothing_written(), pytest.raises(OrderingClosed):
        order(other, [(basket, "1")])
    shop.ordering_open, shop.portal_enabled = True, False
    shop.save(update_fields=["ordering_open", "portal_enabled"])
    with nothing_written(), pytest.raises(OrderingClosed):
        order(other, [(basket, "1")])


def test_without_online_payment_only_what_the_balance_covers_is_accepted() -> None:
    shop = ordering_shop()
    set_online_provider(shop_id=shop.pk, provider="", actor=None)
    basket = product(shop)
    poor = account_with_balance(shop, 5_00)
    rich = account_with_balance(shop, 50_00, email="riche@example.com")

    with nothing_written(), pytest.raises(OnlinePaymentNotOffered):
        order(poor, [(basket, "1")])
    placed = order(rich, [(basket, "1")])

    assert placed.checkout is None
    assert figures(rich)["reserved"] == 20_00


def test_the_same_key_and_request_give_the_first_order_back() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 5_00)
    first = order(account, [(basket, "1")], idempotency_key="k-1")

    with nothing_written():
        again = order(account, [(basket, "1")], idempotency_key="k-1")

    assert (again.order.pk, again.checkout and again.checkout.pk) == (
        first.order.pk,
        first.checkout and first.checkout.pk,
    )


def test_several_open_orders_when_staff_allow_them() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 50_00, allow_several_orders=True)

    first, second, third = (order(account, [(basket, "1")]) for _ in range(3))

    assert (first.to_pay, second.to_pay, third.to_pay) == (0, 0, 10_00)
    assert figures(account)["reserved"] == 50_00
    assert figures(account)["spendable"] == 0


def test_a_counter_order_not_delivered_does_not_block_a_portal_order() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 50_00)
    from tests.invoicing.builders import line, make_order

    make_order(account, line("Pain", "1", "3.00"))

    assert order(account, [(product(shop), "1")]).checkout is None


# --- Declined, abandoned, cancelled -------------------------------------------------------------


def test_a_declined_checkout_leaves_the_balance_as_it_was_and_can_be_paid_again() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    before = figures(account)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None

    assert confirm(placed.checkout, approve=False) == "declined"

    assert figures(account) == before
    placed.order.refresh_from_db()
    assert (placed.order.status, placed.order.payment_state) == (
        OrderStatus.OPEN,
        OrderPaymentState.AWAITING,
    )
    assert Credit.objects.filter(account=account, mode="online").count() == 0
    _clean()

    again = pay_order(order=placed.order, idempotency_key=key(), return_url=RETURN_URL)

    assert again.checkout is not None
    assert again.checkout.pk != placed.checkout.pk
    assert (again.to_pay, figures(account)["reserved"]) == (15_00, 5_00)
    confirm(again.checkout)
    assert figures(account)["reserved"] == 20_00
    with nothing_written(), pytest.raises(NothingToPay):
        pay_order(order=placed.order, idempotency_key=key(), return_url=RETURN_URL)


def test_paying_again_while_a_checkout_is_pending_gives_that_checkout() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])

    again = pay_order(order=placed.order, idempotency_key=key(), return_url=RETURN_URL)

    assert again.checkout is not None
    assert placed.checkout is not None
    assert again.checkout.pk == placed.checkout.pk
    assert figures(account)["reserved"] == 5_00


def test_an_abandoned_checkout_expires_and_gives_the_balance_back() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    before = figures(account)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None

    assert expire_checkouts() == 0
    assert expire_checkouts(now=timezone.now() + dt.timedelta(minutes=31)) == 1

    placed.checkout.refresh_from_db()
    assert placed.checkout.status == CheckoutStatus.EXPIRED
    assert figures(account) == before
    # A late approval is recorded, and the order held again (tests/payments/test_late_payments.py).
    assert confirm(placed.checkout) == "payment_recorded_late"
    assert (figures(account)["balance"], figures(account)["reserved"]) == (20_00, 20_00)
    _clean()


def test_cancelling_releases_what_the_order_holds() -> None:
    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, 50_00)
    accepted = order(account, [(basket, "1")])
    assert figures(account)["reserved"] == 20_00

    cancelled = cancel_online_order(order=accepted.order)

    assert cancelled.status == OrderStatus.CANCELLED
    assert figures(account)["reserved"] == 0
    with nothing_written():
        cancel_online_order(order=accepted.order)  # a repeated request is harmless
    _clean()


def test_cancelling_an_order_waiting_for_its_payment_cancels_the_checkout() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    before = figures(account)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None

    cancel_online_order(order=placed.order, reason="changed my mind")

    placed.checkout.refresh_from_db()
    assert placed.checkout.status == CheckoutStatus.CANCELLED
    assert figures(account) == before
    # A late approval is recorded and stays on the balance (tests/payments/test_late_payments.py).
    assert confirm(placed.checkout) == "payment_recorded_late:order_cancelled"
    assert (figures(account)["balance"], figures(account)["reserved"]) == (20_00, 0)
    _clean()


def test_staff_cancelling_an_online_order_release_it_too() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 50_00)
    placed = order(account, [(product(shop), "1")])

    invoicing.cancel_order(order=placed.order, actor=None, reason="rupture")

    assert figures(account)["reserved"] == 0
    assert list(held_reservations(account)) == []
    _clean()


def test_a_payment_for_an_order_cancelled_meanwhile_stays_on_the_balance() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    # Staff cancel it at the counter while the customer is on the provider's page.
    invoicing.cancel_order(order=placed.order, actor=None)

    assert confirm(placed.checkout) == "payment_recorded"

    assert figures(account)["balance"] == 20_00
    assert figures(account)["reserved"] == 0
    _clean()


def test_an_order_delivered_before_its_payment_is_settled_by_it() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00, credit_limit=100_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    invoice = deliver(placed.order)
    assert (figures(account)["balance"], figures(account)["reserved"]) == (-15_00, 0)

    confirm(placed.checkout)

    invoice.charge.refresh_from_db()
    assert (figures(account)["balance"], invoice.charge.status) == (0, ChargeStatus.PAID)
    _clean()


# --- Top-up and paying what is owed ---------------------------------------------------------------


def test_a_top_up_raises_the_balance_once_with_a_receipt() -> None:
    shop = ordering_shop(top_up_minimum=10_00)
    account = account_with_balance(shop, 0)

    checkout = start_top_up(
        account=account, amount=25_00, idempotency_key="t-1", return_url=RETURN_URL
    )
    assert (checkout.purpose, checkout.amount) == (CheckoutPurpose.TOP_UP, 25_00)
    assert (
        start_top_up(account=account, amount=25_00, idempotency_key="t-1", return_url=RETURN_URL).pk
        == checkout.pk
    )

    assert confirm(checkout) == "payment_recorded"
    assert confirm(checkout) == "already_approved"

    credit = Credit.objects.get(account=account, mode="online")
    assert (credit.kind, credit.amount, credit.reference) == (
        CreditKind.TOP_UP,
        25_00,
        "Rechargement payé en ligne",
    )
    assert figures(account)["balance"] == 25_00
    _clean()


def test_a_top_up_out_of_range_or_a_reused_key_is_refused() -> None:
    shop = ordering_shop(top_up_minimum=10_00, online_payment_max=500_00)
    account = account_with_balance(shop, 0)
    start_top_up(account=account, amount=20_00, idempotency_key="t-1", return_url=RETURN_URL)

    for amount in (9_99, 500_01, 0, -10_00):
        with nothing_written(), pytest.raises(TopUpOutOfRange):
            start_top_up(account=account, amount=amount, idempotency_key=key(), return_url="x")
    with nothing_written(), pytest.raises(IdempotencyConflict):
        start_top_up(account=account, amount=30_00, idempotency_key="t-1", return_url="x")
    set_online_provider(shop_id=shop.pk, provider="", actor=None)
    with nothing_written(), pytest.raises(OnlinePaymentNotOffered):
        start_top_up(account=account, amount=30_00, idempotency_key=key(), return_url="x")


def test_paying_the_whole_amount_owed_settles_every_open_charge() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, -30_00, credit_limit=100_00)
    from tests.ledger.support import charge

    second = charge(account, 12_00)
    account.refresh_from_db()

    checkout = pay_amount_owed(account=account, return_url=RETURN_URL)
    assert pay_amount_owed(account=account, return_url=RETURN_URL).pk == checkout.pk
    assert (checkout.purpose, checkout.amount) == (CheckoutPurpose.BALANCE, 42_00)
    confirm(checkout)

    assert (figures(account)["balance"], figures(account)["debt"]) == (0, 0)
    second.refresh_from_db()
    assert second.status == ChargeStatus.PAID
    with nothing_written(), pytest.raises(NothingOwed):
        pay_amount_owed(account=account, return_url=RETURN_URL)
    _clean()


def test_the_portal_counts_reservations_in_what_can_be_spent() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 50_00)
    order(account, [(product(shop), "1")])
    account.refresh_from_db()

    assert balance_summary(account).spendable == 30_00


def test_cart_items_name_products_and_quantities_only() -> None:
    item = CartItem(product_id=1, quantity=Decimal("1.5"))
    assert (item.product_id, item.quantity) == (1, Decimal("1.5"))
    assert Order._meta.get_field("channel").default == OrderChannel.COUNTER
    assert Checkout._meta.get_field("purpose").default == CheckoutPurpose.STATEMENT


def test_an_order_with_a_debt_waits_while_a_statement_pays_the_same_invoices() -> None:
    from ardoise.ledger.models import Charge
    from ardoise.payments.errors import ChargesBeingPaid
    from ardoise.payments.online import start_checkout

    shop = ordering_shop()
    basket = product(shop)
    account = account_with_balance(shop, -5_00)
    debt = Charge.objects.get(account=account)
    start_checkout(
        account=account,
        amount=5_00,
        reference="statement:99",
        charge_ids=[debt.pk],
        return_url=RETURN_URL,
    )

    with nothing_written(), pytest.raises(ChargesBeingPaid):
        order(account, [(basket, "1")])


def test_a_paid_order_cancelled_leaves_its_payment_free_on_the_balance() -> None:
    from tests.ledger.support import charge

    shop = ordering_shop()
    account = account_with_balance(shop, 5_00, credit_limit=100_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    confirm(placed.checkout)
    payment = Credit.objects.get(account=account, mode="online")
    assert payment.earmark == f"order:{placed.order.pk}"

    cancel_online_order(order=placed.order)

    payment.refresh_from_db()
    assert (payment.earmark, payment.unapplied_amount) == ("", 15_00)
    assert figures(account) | {"spendable": None} == {
        "balance": 20_00,
        "debt": 0,
        "deposit": 20_00,
        "reserved": 0,
        "spendable": None,
    }
    sale = charge(account, 18_00)  # a later sale at the counter is settled by it
    sale.refresh_from_db()
    assert sale.status == ChargeStatus.PAID
    assert (figures(account)["debt"], figures(account)["deposit"]) == (0, 2_00)
    _clean()


def test_the_expire_checkouts_command_gives_back_what_abandoned_orders_hold() -> None:
    from io import StringIO

    from django.core.management import call_command

    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    Checkout.objects.filter(pk=placed.checkout.pk).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    out = StringIO()

    call_command("expire_checkouts", stdout=out)

    assert out.getvalue().strip() == "1 checkout(s) expired"
    assert figures(account)["reserved"] == 0
    placed.checkout.refresh_from_db()
    assert placed.checkout.status == CheckoutStatus.EXPIRED
