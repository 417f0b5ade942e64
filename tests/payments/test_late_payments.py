"""A payment the provider approves after Ardoise closed its checkout (its order's hold expired,
the customer cancelled): recorded once, through the path of an approval on time; the order held
again when the balance still covers it, or the money left on the balance and listed for the shop;
found by the reconciliation and by the payer's return when no notification comes."""

import datetime as dt

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from ardoise.audit.models import AuditEvent
from ardoise.invoicing.models import OrderPaymentState, OrderStatus
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import Credit, Reservation, ReservationStatus
from ardoise.payments.handling import handle_notification
from ardoise.payments.models import CheckoutStatus, ProviderAccount, ProviderEvent
from ardoise.payments.online import receive_confirmation
from ardoise.payments.orders import OnlineOrder, cancel_online_order, expire_checkouts, pay_order
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.payments.reconciliation import MismatchKind, mismatches, reconcile
from ardoise.payments.refunding import send_refund
from ardoise.payments.refunds import refundable_checkout, request_online_refund
from ardoise.shops.models import Shop
from tests.factories import client_for, key, owner_of
from tests.ledger.test_races_postgres import race
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
from tests.payments.provider_support import connect, secret_of, standin_server, webhook_path
from tests.payments.standins import StandIn
from tests.portal.support import portal_client, portal_shop

pytestmark = pytest.mark.django_db

LATER = dt.timedelta(minutes=31)  # past an order checkout's lifetime


def _expired(shop: Shop, balance: int = 5_00) -> OnlineOrder:
    """A 20 € order on an account of `balance` (5 € held, 15 € to pay), its checkout expired."""
    account = account_with_balance(shop, balance)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    assert expire_checkouts(now=timezone.now() + LATER) == 1
    placed.checkout.refresh_from_db()
    assert placed.checkout.status == CheckoutStatus.EXPIRED
    assert figures(account)["reserved"] == 0  # its hold went back when it expired
    return placed


def _online(placed: OnlineOrder) -> list[Credit]:
    return list(Credit.objects.filter(account=placed.order.account, mode="online"))


def _kinds(shop: Shop) -> list[str]:
    return [mismatch.kind for mismatch in mismatches(shop.pk)]


def _clean() -> None:
    assert check_ledger().problems == []


def test_an_approval_after_expiry_records_one_payment_and_the_order_is_paid() -> None:
    shop = ordering_shop()
    placed = _expired(shop)
    checkout = placed.checkout
    assert checkout is not None

    assert confirm(checkout) == "payment_recorded_late"

    (credit,) = _online(placed)
    assert (credit.amount, credit.earmark) == (15_00, f"order:{placed.order.pk}")
    checkout.refresh_from_db()
    assert (checkout.status, checkout.credit_id) == (CheckoutStatus.APPROVED, credit.pk)
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    account = figures(placed.order.account)
    assert (account["balance"], account["reserved"], account["spendable"]) == (20_00, 20_00, 0)
    late = AuditEvent.objects.get(action="payments.checkout.paid_late")
    assert late.data == {
        "amount": 15_00,
        "credit": credit.pk,
        "reference": checkout.reference,
        "was": "expired",
        "kept_on_balance": "",
    }
    assert AuditEvent.objects.filter(action="payments.order.paid").count() == 1
    assert _kinds(shop) == [MismatchKind.PAID_LATE]  # for information, not "not recorded"
    invoice = deliver(placed.order)
    invoice.charge.refresh_from_db()
    assert (invoice.charge.open_amount, figures(placed.order.account)["balance"]) == (0, 0)
    _clean()


def test_a_replayed_late_approval_and_a_second_one_record_nothing_more() -> None:
    shop = ordering_shop()
    placed = _expired(shop)
    checkout = placed.checkout
    assert checkout is not None
    body, headers = TestProvider().make_confirmation(
        provider_checkout_id=checkout.provider_checkout_id,
        approve=True,
        amount=checkout.amount,
        currency=checkout.currency,
    )

    first = receive_confirmation(provider_code="test", body=body, headers=headers)
    replay = receive_confirmation(provider_code="test", body=body, headers=headers)
    second = confirm(checkout)
    asked = reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=1))

    assert (first.outcome, replay.pk, second) == (
        "payment_recorded_late",
        first.pk,
        "already_approved",
    )
    assert asked.closed_asked == 0  # recorded: no longer asked about
    assert len(_online(placed)) == 1
    assert figures(placed.order.account)["balance"] == 20_00
    assert AuditEvent.objects.filter(action="payments.checkout.paid_late").count() == 1
    _clean()


def test_an_approval_after_the_customer_cancelled_stays_on_the_balance_and_is_listed() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    assert placed.checkout is not None
    cancel_online_order(order=placed.order, reason="changed my mind")

    assert confirm(placed.checkout) == "payment_recorded_late:order_cancelled"

    (credit,) = _online(placed)
    assert (credit.amount, credit.earmark, credit.unapplied_amount) == (15_00, "", 15_00)
    placed.checkout.refresh_from_db()
    assert (placed.checkout.status, placed.checkout.credit_id) == (
        CheckoutStatus.CANCELLED,  # kept closed, linked to its payment
        credit.pk,
    )
    placed.order.refresh_from_db()
    assert placed.order.status == OrderStatus.CANCELLED
    assert (figures(account)["balance"], figures(account)["reserved"]) == (20_00, 0)
    with translation.override("en"):
        (row,) = mismatches(shop.pk)
    assert (row.kind, row.amount, row.checkout) == (
        MismatchKind.PAID_LATE_ON_BALANCE,
        15_00,
        placed.checkout,
    )
    assert row.detail == "The order had been cancelled: the money is on the customer's balance."
    _clean()


def test_an_order_the_balance_no_longer_covers_keeps_the_money_on_the_balance() -> None:
    shop = ordering_shop()
    placed = _expired(shop)
    account = placed.order.account
    # Meanwhile the 5 € its hold gave back are spent at the counter.
    ledger.post_charge(account=account, total=5_00, idempotency_key=key(), actor=None)
    assert placed.checkout is not None

    assert confirm(placed.checkout) == "payment_recorded_late:not_held"

    (credit,) = _online(placed)
    assert (credit.amount, credit.earmark) == (15_00, "")  # kept for no order: a deposit
    assert confirm(placed.checkout) == "already_recorded"
    placed.checkout.refresh_from_db()
    assert placed.checkout.status == CheckoutStatus.EXPIRED  # free for the payment still due
    placed.order.refresh_from_db()
    assert (placed.order.status, placed.order.payment_state) == (
        OrderStatus.OPEN,
        OrderPaymentState.AWAITING,
    )
    assert (figures(account)["balance"], figures(account)["reserved"]) == (15_00, 0)
    # The refused hold left nothing behind: no reservation held, the order not marked paid.
    held = Reservation.objects.filter(account=account, status=ReservationStatus.HELD)
    assert held.count() == 0
    assert not AuditEvent.objects.filter(action="payments.order.paid").exists()
    with translation.override("en"):
        (row,) = mismatches(shop.pk)
    assert row.kind == MismatchKind.PAID_LATE_ON_BALANCE
    assert "no longer covered the order" in row.detail
    page = portal_client(account.customer).get(
        reverse("portal:order_detail", args=[shop.slug, placed.order.pk])
    )
    html = page.content.decode()
    assert 'data-testid="payment-on-balance"' in html  # not "nothing was taken"
    assert 'data-testid="payment-expired"' not in html
    # The order still waits: paying it asks only for what the balance does not cover.
    again = pay_order(order=placed.order, idempotency_key=key(), return_url=RETURN_URL)
    assert again.to_pay == 5_00
    _clean()


def test_a_shop_not_requiring_payment_holds_the_order_within_the_credit_limit() -> None:
    shop = ordering_shop(order_payment_required=False)
    account = account_with_balance(shop, 0, credit_limit=10_00)
    placed = order(account, [(product(shop), "1")])  # 10 € on credit, 10 € to pay
    assert placed.checkout is not None
    assert placed.checkout.amount == 10_00
    expire_checkouts(now=timezone.now() + LATER)

    assert confirm(placed.checkout) == "payment_recorded_late"

    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert (figures(account)["balance"], figures(account)["reserved"]) == (10_00, 20_00)
    _clean()


def test_an_approval_after_another_checkout_was_started_stays_on_the_balance() -> None:
    shop = ordering_shop()
    placed = _expired(shop)
    first = placed.checkout
    again = pay_order(order=placed.order, idempotency_key=key(), return_url=RETURN_URL)
    assert first is not None
    assert again.checkout is not None
    assert again.checkout.status == CheckoutStatus.PENDING

    assert confirm(first) == "payment_recorded_late:paid_again"
    assert confirm(first) == "already_recorded"

    first.refresh_from_db()
    assert first.status == CheckoutStatus.EXPIRED  # the live one keeps the order's reference
    assert first.credit is not None
    assert first.credit.earmark == ""
    assert figures(placed.order.account)["balance"] == 20_00
    assert confirm(again.checkout) == "payment_recorded"  # the customer paid twice
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert figures(placed.order.account)["balance"] == 35_00
    assert _kinds(shop) == [MismatchKind.PAID_LATE_ON_BALANCE]
    _clean()


def test_a_late_payment_can_be_refunded_like_any_other() -> None:
    shop = ordering_shop()
    placed = _expired(shop)
    assert placed.checkout is not None
    confirm(placed.checkout)
    invoice = deliver(placed.order)

    refundable = refundable_checkout(invoice.charge)
    assert refundable is not None
    assert (refundable.checkout.pk, refundable.refundable) == (placed.checkout.pk, 15_00)
    refund = request_online_refund(
        charge=invoice.charge,
        amount=15_00,
        reason="Damaged goods",
        to_account=None,
        idempotency_key=key(),
        actor=None,
    )
    refund = send_refund(refund.pk)

    assert (refund.status, refund.payout) == ("confirmed", 15_00)
    assert refund.credit is not None
    assert (refund.credit.payout_amount, refund.credit.payout_mode) == (15_00, "online")
    _clean()


# --- Found without a notification: the reconciliation, the payer's return --------------------


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def _expired_at(provider: str, standin: StandIn) -> OnlineOrder:
    shop = portal_shop(ordering_open=True)
    connect(shop, provider, standin)
    placed = _expired(shop)
    assert placed.checkout is not None
    if provider == "sumup":
        standin.sumup_pay(placed.checkout.provider_checkout_id)
    else:
        standin.stripe_pay(placed.checkout.provider_checkout_id)
    return placed


@pytest.mark.parametrize("provider", ["sumup", "stripe"])
def test_the_reconciliation_finds_a_late_approval_nobody_told_us_about(
    standin: StandIn, provider: str
) -> None:
    placed = _expired_at(provider, standin)
    checkout = placed.checkout
    assert checkout is not None

    run = reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=1))
    again = reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=6))

    assert (run.closed_asked, run.paid_late, again.closed_asked) == (1, 1, 0)
    event = ProviderEvent.objects.get()
    assert (event.event_id, event.outcome) == (
        f"read:{checkout.provider_checkout_id}:approved",
        "payment_recorded_late",
    )
    assert [credit.amount for credit in _online(placed)] == [15_00]
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert _kinds(placed.order.shop) == [MismatchKind.PAID_LATE]
    _clean()


def test_a_checkout_that_stays_unpaid_is_asked_for_two_hours_and_records_nothing(
    standin: StandIn,
) -> None:
    shop = portal_shop(ordering_open=True)
    connect(shop, "sumup", standin)
    placed = _expired(shop)

    within = reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=5))
    after = reconcile(now=timezone.now() + LATER + dt.timedelta(hours=2, minutes=1))

    assert (within.closed_asked, within.paid_late, after.closed_asked) == (1, 0, 0)
    assert ProviderEvent.objects.count() == 0  # an unpaid answer is not stored
    assert _online(placed) == []


def test_an_approval_after_the_provider_declined_is_not_recorded_and_is_listed(
    standin: StandIn,
) -> None:
    shop = portal_shop(ordering_open=True)
    provider_account = connect(shop, "sumup", standin)
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    checkout = placed.checkout
    assert checkout is not None
    standin.sumup_pay(checkout.provider_checkout_id, status="FAILED")
    reconcile(now=timezone.now() + dt.timedelta(minutes=6))
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.DECLINED
    standin.sumup_pay(checkout.provider_checkout_id)  # the provider contradicts itself
    body, headers = standin.sumup_event(checkout.provider_checkout_id, secret=secret_of("sumup"))
    Client().post(
        webhook_path(provider_account), data=body, content_type="application/json", headers=headers
    )

    event = handle_notification(ProviderEvent.objects.get(payload=body.decode()).pk)

    assert event.outcome == "already_declined"
    assert _online(placed) == []
    assert _kinds(shop) == [MismatchKind.PAID_NOT_RECORDED]  # for a person to look at


def test_an_approval_handled_before_late_payments_were_recorded_is_no_longer_listed(
    standin: StandIn,
) -> None:
    placed = _expired_at("sumup", standin)
    checkout = placed.checkout
    assert checkout is not None
    ProviderEvent.objects.create(  # what a notification handled before this change left
        provider="sumup",
        event_id="evt_before",
        payload="{}",
        shop_id=checkout.shop_id,
        checkout=checkout,
        provider_checkout_id=checkout.provider_checkout_id,
        reported_status="approved",
        reported_amount=15_00,
        reported_currency="EUR",
        outcome="already_expired",
        handled_at=timezone.now(),
    )
    assert _kinds(placed.order.shop) == [MismatchKind.PAID_NOT_RECORDED]

    reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=1))

    assert len(_online(placed)) == 1
    assert _kinds(placed.order.shop) == [MismatchKind.PAID_LATE]


def test_back_from_the_provider_after_expiry_the_order_reads_paid(standin: StandIn) -> None:
    placed = _expired_at("sumup", standin)

    page = portal_client(placed.order.account.customer).get(
        reverse("portal:order_detail", args=[placed.order.shop.slug, placed.order.pk])
    )

    assert page.status_code == 200
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert [credit.amount for credit in _online(placed)] == [15_00]


# --- At once, on PostgreSQL -------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_webhooks_the_reconciler_and_the_return_at_once_record_one_late_payment() -> None:
    assert connection.vendor == "postgresql"
    with standin_server(HTTP_TIMEOUT_SECONDS=10) as standin:
        placed = _expired_at("sumup", standin)
        checkout = placed.checkout
        assert checkout is not None
        path = webhook_path(ProviderAccount.objects.get(shop_id=placed.order.shop_id))
        deliveries = [
            standin.sumup_event(checkout.provider_checkout_id, secret=secret_of("sumup"))
            for _ in range(3)
        ]
        customer = placed.order.account.customer
        page = reverse("portal:order_detail", args=[placed.order.shop.slug, placed.order.pk])

        def work(index: int) -> object:
            if index == 0:
                return reconcile(now=timezone.now() + LATER + dt.timedelta(minutes=1))
            if index == 1:
                return portal_client(customer).get(page).status_code
            body, headers = deliveries[index % 3]
            Client().post(path, data=body, content_type="application/json", headers=headers)
            event = ProviderEvent.objects.get(payload=body.decode())
            return handle_notification(event.pk).outcome

        results = race(work, threads=8)

    assert not any(isinstance(result, BaseException) for result in results), results
    assert [credit.amount for credit in _online(placed)] == [15_00]
    outcomes = list(ProviderEvent.objects.values_list("outcome", flat=True))
    assert outcomes.count("payment_recorded_late") == 1
    assert set(outcomes) <= {"payment_recorded_late", "already_approved"}
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert figures(placed.order.account)["reserved"] == 20_00
    assert AuditEvent.objects.filter(action="payments.checkout.paid_late").count() == 1
    _clean()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_an_approval_racing_the_expiry_is_recorded_once_and_pays_the_order() -> None:
    shop = ordering_shop()
    account = account_with_balance(shop, 5_00)
    placed = order(account, [(product(shop), "1")])
    checkout = placed.checkout
    assert checkout is not None

    results = race(
        lambda index: (
            confirm(checkout) if index % 2 else expire_checkouts(now=timezone.now() + LATER)
        ),
        threads=6,
    )

    assert not any(isinstance(result, BaseException) for result in results), results
    assert [credit.amount for credit in _online(placed)] == [15_00]
    placed.order.refresh_from_db()
    assert placed.order.payment_state == OrderPaymentState.PAID
    assert (figures(account)["balance"], figures(account)["reserved"]) == (20_00, 20_00)
    _clean()


def test_the_payments_to_check_page_shows_late_payments_in_words() -> None:
    shop = ordering_shop()
    late = _expired(shop)
    assert late.checkout is not None
    confirm(late.checkout)
    account = account_with_balance(shop, 5_00, email="marc@example.com", name="Marc Roux")
    cancelled = order(account, [(product(shop, name="Pain"), "1")])
    assert cancelled.checkout is not None
    cancel_online_order(order=cancelled.order)
    confirm(cancelled.checkout)

    page = client_for(owner_of(shop)).get(
        reverse("staff:payment_checks"), HTTP_ACCEPT_LANGUAGE="en"
    )

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-kind="paid_late"' in html
    assert "Paid after it had expired or been cancelled: recorded (for information)" in html
    assert 'data-kind="paid_late_on_balance"' in html
    assert "The order had been cancelled: the money is on the customer&#x27;s balance." in html
