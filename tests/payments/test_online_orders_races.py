"""A balance pays an online order once (DESIGN.md rule 8), with real threads on PostgreSQL.

Sixteen orders and their checkouts at once on one account with a positive balance: the
reservations, taken by the ledger's guarded UPDATE under the account row's lock, let the balance
pay exactly the orders it covers, the others are asked to pay the rest; then every checkout is
confirmed at once, and each records one payment. And one checkout confirmed twice at once
records one payment and moves its order's reservation once.
"""

from collections import Counter

import pytest
from django.db.models import Sum

from ardoise.invoicing.models import Order, OrderPaymentState
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Credit, Posting, Reservation, ReservationStatus
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers.test.provider import TestProvider
from tests.ledger.test_races_postgres import race
from tests.payments.orders_support import (
    account_with_balance,
    confirm,
    deliver,
    figures,
    order,
    ordering_shop,
    product,
)

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def _held(order_id: int) -> int:
    held = Reservation.objects.filter(
        reference=f"order:{order_id}", status=ReservationStatus.HELD
    ).first()
    return held.amount if held is not None else 0


def test_sixteen_orders_at_once_spend_the_balance_exactly_once() -> None:
    shop = ordering_shop()
    basket = product(shop, "20.00")
    account = account_with_balance(shop, 50_00, allow_several_orders=True)

    placed = race(lambda index: order(account, [(basket, "1")]))

    assert Counter(type(result).__name__ for result in placed) == {"OnlineOrder": THREADS}
    to_pay = sorted(result.to_pay for result in placed)
    # 50 € pays two orders in full and half of a third; the thirteen others pay all of it.
    assert to_pay == [0, 0, 10_00] + [20_00] * 13
    held = sorted(_held(result.order.pk) for result in placed)
    assert held == [0] * 13 + [10_00, 20_00, 20_00]
    assert figures(account)["reserved"] == 50_00
    assert figures(account)["balance"] == 50_00
    accepted = Order.objects.filter(payment_state=OrderPaymentState.ACCOUNT).count()
    assert accepted == 2
    assert check_ledger().problems == []

    checkouts = [result.checkout for result in placed if result.checkout is not None]
    assert len(checkouts) == 14
    outcomes = race(lambda index: confirm(checkouts[index]), threads=len(checkouts))

    assert outcomes == ["payment_recorded"] * 14
    assert Credit.objects.filter(account=account, mode="online").count() == 14
    assert figures(account) | {"debt": 0, "deposit": 0} == {
        "balance": 50_00 + 270_00,
        "debt": 0,
        "deposit": 0,
        "reserved": 320_00,
        "spendable": 0,
    }
    assert check_ledger().problems == []

    invoices = race(lambda index: deliver(placed[index].order))

    assert Counter(type(result).__name__ for result in invoices) == {"Invoice": THREADS}
    assert figures(account) == {
        "balance": 0,
        "debt": 0,
        "deposit": 0,
        "reserved": 0,
        "spendable": 0,
    }
    posted = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"]
    assert posted == 0
    assert check_ledger().problems == []


def test_one_order_placed_from_sixteen_tabs_is_one_order() -> None:
    shop = ordering_shop()
    basket = product(shop, "20.00")
    account = account_with_balance(shop, 5_00)

    placed = race(lambda index: order(account, [(basket, "1")], idempotency_key="same-tab"))

    assert Counter(type(result).__name__ for result in placed) == {"OnlineOrder": THREADS}
    assert len({result.order.pk for result in placed}) == 1
    assert Order.objects.filter(account=account).count() == 1
    assert Checkout.objects.filter(account=account).count() == 1
    assert figures(account)["reserved"] == 5_00
    assert check_ledger().problems == []


def test_sixteen_different_orders_at_once_without_permission_for_several_make_one() -> None:
    shop = ordering_shop()
    basket = product(shop, "20.00")
    account = account_with_balance(shop, 50_00)

    placed = race(lambda index: order(account, [(basket, "1")]))

    assert Counter(type(result).__name__ for result in placed) == {
        "OnlineOrder": 1,
        "AnotherOrderOpen": THREADS - 1,
    }
    assert figures(account)["reserved"] == 20_00
    assert check_ledger().problems == []


def test_one_checkout_confirmed_twice_at_once_pays_once_and_moves_its_hold_once() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop, "20.00"), "1")])
    checkout = placed.checkout
    assert checkout is not None
    approvals = [
        TestProvider().make_confirmation(
            provider_checkout_id=checkout.provider_checkout_id,
            approve=True,
            amount=checkout.amount,
            currency=checkout.currency,
        )
        for _ in range(2)
    ]

    events = race(
        lambda index: (
            receive_confirmation(
                provider_code="test", body=approvals[index][0], headers=approvals[index][1]
            ).outcome
        ),
        threads=2,
    )

    assert sorted(events) == ["already_approved", "payment_recorded"]
    assert ProviderEvent.objects.count() == 2
    assert Credit.objects.filter(account=account, mode="online").count() == 1
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.APPROVED
    assert Reservation.objects.filter(account=account).count() == 2  # 5 € released, 20 € held
    assert figures(account)["reserved"] == 20_00
    assert figures(account)["balance"] == 20_00
    assert check_ledger().problems == []


def test_a_confirmation_and_a_cancellation_at_once_leave_the_money_where_it_belongs() -> None:
    from ardoise.payments.orders import cancel_online_order

    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop, "20.00"), "1")])
    checkout = placed.checkout
    assert checkout is not None

    results = race(
        lambda index: confirm(checkout) if index == 0 else cancel_online_order(order=placed.order),
        threads=2,
    )

    assert not any(isinstance(result, BaseException) for result in results), results
    placed.order.refresh_from_db()
    paid = Credit.objects.filter(account=account, mode="online").count()
    if placed.order.payment_state == OrderPaymentState.PAID:
        # Paid first, then cancelled: the payment stays on the balance, nothing is held.
        assert paid == 1
        assert figures(account)["balance"] == 20_00
    else:
        # Cancelled first: the approval is recorded all the same (late, if the checkout was
        # cancelled before it came), and stays on the balance.
        assert results[0] in {"payment_recorded_late:order_cancelled", "payment_recorded"}
        assert (paid, figures(account)["balance"]) == (1, 20_00)
    assert figures(account)["reserved"] == 0
    assert check_ledger().problems == []
