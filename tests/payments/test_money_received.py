"""`money_received`: the money that came in, by the day it was received, read once for the
Payments page, the exports and the Account tab."""

import datetime as dt

import pytest
from django.utils import timezone

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.payments.selectors import ReceiptKind, money_received
from ardoise.payments.week import payments_week
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.invoicing.builders import line, make_order

pytestmark = pytest.mark.django_db


def noon(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12)))


def invoice_on(account: Account, day: dt.date, price: str = "60.00") -> Invoice:
    order = make_order(account, line("Panier", "1", price))
    when = None if day >= timezone.localdate() else noon(day)
    return invoicing.deliver_order(
        order=order, actor=None, idempotency_key=key(), delivered_at=when
    )


def monday_of(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def week_of(day: dt.date) -> tuple[dt.date, dt.date]:
    return monday_of(day), monday_of(day) + dt.timedelta(days=6)


@pytest.fixture
def shop() -> Shop:
    return make_shop(auto_allocate=False)


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop, name="Camille Martin")


def test_a_cash_payment_today_on_an_invoice_of_three_weeks_ago_counts_in_todays_week(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    old = invoice_on(account, today - dt.timedelta(weeks=3))
    payments.settle_invoice(
        invoice=old, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )

    this_week = money_received(shop.pk, *week_of(today))
    that_week = money_received(shop.pk, *week_of(old.issued_on))

    assert [(r.day, r.kind, r.mode, r.amount, r.invoice_id) for r in this_week.receipts] == [
        (today, ReceiptKind.PAYMENT, "cash", 60_00, old.pk)
    ]
    assert (this_week.by_mode, this_week.total) == ({"cash": 60_00}, 60_00)
    assert (that_week.receipts, that_week.total) == ([], 0)


def test_a_settlement_dated_last_friday_counts_in_last_week(shop: Shop, account: Account) -> None:
    today = timezone.localdate()
    friday = monday_of(today) - dt.timedelta(days=3)
    invoice = invoice_on(account, today)
    payments.settle_invoice(
        invoice=invoice,
        mode="cheque",
        amount=25_00,
        actor=None,
        idempotency_key=key(),
        received_on=friday,
    )

    assert money_received(shop.pk, *week_of(friday)).by_mode == {"cheque": 25_00}
    assert money_received(shop.pk, *week_of(today)).by_mode == {}


def test_a_refund_paid_out_in_cash_is_negative_cash_on_the_day_of_the_refund(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    old = invoice_on(account, today - dt.timedelta(weeks=2))
    payments.settle_invoice(
        invoice=old,
        mode="card",
        amount=60_00,
        actor=None,
        idempotency_key=key(),
        received_on=old.issued_on,
    )
    ledger.issue_credit_note(
        charge=old.charge,
        amount=20_00,
        reason="Abîmé",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )

    received = money_received(shop.pk, *week_of(today))

    assert [(r.kind, r.mode, r.amount, r.invoice_id) for r in received.receipts] == [
        (ReceiptKind.REFUND, "cash", -20_00, old.pk)
    ]
    assert (received.by_mode, received.total) == ({"cash": -20_00}, -20_00)
    assert money_received(shop.pk, *week_of(old.issued_on)).by_mode == {"card": 60_00}


def test_a_refund_to_the_account_is_not_money_paid_out(shop: Shop, account: Account) -> None:
    invoice = invoice_on(account, timezone.localdate())
    ledger.issue_credit_note(
        charge=invoice.charge, amount=10_00, reason="Abîmé", idempotency_key=key(), actor=None
    )

    assert money_received(shop.pk, *week_of(timezone.localdate())).receipts == []


def test_a_deduction_from_the_account_is_listed_but_not_counted_as_money_received(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(account, today, "30.00")
    payments.settle_invoice(
        invoice=invoice, mode="account", amount=30_00, actor=None, idempotency_key=key()
    )

    received = money_received(shop.pk, *week_of(today))

    assert sorted((r.kind, r.mode, r.amount) for r in received.receipts) == [
        (ReceiptKind.DEDUCTION, "account", 30_00),
        (ReceiptKind.TOP_UP, "transfer", 50_00),
    ]
    assert received.by_mode == {"transfer": 50_00, "account": 30_00}
    assert (received.total, received.deducted) == (50_00, 30_00)


def test_top_ups_and_payments_on_account_count_in_their_mode_and_week(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    last_week = today - dt.timedelta(weeks=1)
    ledger.record_top_up(
        account=account,
        amount=40_00,
        mode="transfer",
        idempotency_key=key(),
        actor=None,
        received_on=last_week,
        occurred_at=noon(last_week),
    )
    ledger.record_payment(
        account=account, amount=15_00, mode="cash", idempotency_key=key(), actor=None
    )

    assert money_received(shop.pk, *week_of(last_week)).by_mode == {"transfer": 40_00}
    assert money_received(shop.pk, *week_of(today)).by_mode == {"cash": 15_00}


def test_reversed_payments_and_refunds_count_nowhere(shop: Shop, account: Account) -> None:
    invoice = invoice_on(account, timezone.localdate())
    payment = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )
    refund = ledger.issue_credit_note(
        charge=invoice.charge,
        amount=60_00,
        reason="Erreur",
        refund_mode="cash",
        to_account=0,
        idempotency_key=key(),
        actor=None,
    )
    ledger.reverse_entry(entry=refund.entry, reason="Erreur", idempotency_key=key(), actor=None)
    payments.reverse_settlement(
        settlement=payment, reason="Erreur", actor=None, idempotency_key=key()
    )

    assert money_received(shop.pk, *week_of(timezone.localdate())).receipts == []


def test_another_shops_money_is_not_read(shop: Shop, account: Account) -> None:
    other = make_shop()
    ledger.record_payment(
        account=make_account(other), amount=9_00, mode="cash", idempotency_key=key(), actor=None
    )

    assert money_received(shop.pk, *week_of(timezone.localdate())).receipts == []


def test_the_payments_week_shows_an_older_invoice_paid_this_week_with_this_weeks_money_only(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    old = invoice_on(account, today - dt.timedelta(weeks=3))
    first = payments.settle_invoice(
        invoice=old,
        mode="cash",
        amount=20_00,
        actor=None,
        idempotency_key=key(),
        received_on=old.issued_on,
    )
    second = payments.settle_invoice(
        invoice=old, mode="cash", amount=30_00, actor=None, idempotency_key=key()
    )

    week = payments_week(shop.pk, monday_of(today), ["cash", "cheque"])

    assert [(row.invoice, row.day, row.cells) for row in week.rows] == [
        (old, today, {"cash": (30_00, second.pk)})
    ]
    assert week.rows[0].is_earlier_invoice
    assert (week.totals, week.grand_total) == ({"cash": 30_00, "cheque": 0}, 30_00)
    older = payments_week(shop.pk, monday_of(old.issued_on), ["cash", "cheque"])
    assert [row.cells for row in older.rows] == [{"cash": (20_00, first.pk)}]


def test_the_account_tab_shows_the_money_received_in_its_range_refunds_negative(
    shop: Shop, account: Account
) -> None:
    from django.urls import reverse

    from tests.factories import client_for, owner_of

    today = timezone.localdate()
    ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(account, today, "30.00")
    payments.settle_invoice(
        invoice=invoice, mode="account", amount=30_00, actor=None, idempotency_key=key()
    )
    ledger.issue_credit_note(
        charge=invoice.charge,
        amount=10_00,
        reason="Abîmé",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )
    other = make_account(shop, name="Bruno Lefèvre")
    ledger.record_payment(
        account=other, amount=99_00, mode="cash", idempotency_key=key(), actor=None
    )

    response = client_for(owner_of(shop)).get(
        reverse("staff:customer_account", args=[account.customer_id]),
        {"start": today.isoformat(), "end": today.isoformat()},
    )

    received = response.context["received"]
    assert (received.by_mode, received.total, received.deducted) == (
        {"transfer": 50_00, "account": 30_00, "cash": -10_00},
        40_00,
        30_00,
    )
    page = response.content.decode()
    assert 'id="received-total">€40.00<' in page
    assert "Transfer €50.00 · Cash -€10.00" in page
    assert 'id="received-deducted">€30.00<' in page
