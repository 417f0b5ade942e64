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


# --- Automatic deductions: a prepaid balance applied by the ledger to a new invoice ------------


@pytest.fixture
def auto_shop() -> Shop:
    return make_shop(auto_allocate=True)


@pytest.fixture
def auto_account(auto_shop: Shop) -> Account:
    return make_account(auto_shop, name="Léa Petit")


def test_a_prepaid_balance_applied_automatically_to_a_new_invoice_is_shown_as_deducted_and_not_counted(  # noqa: E501
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    ledger.record_top_up(
        account=auto_account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(auto_account, today, "30.00")
    invoice.charge.refresh_from_db()
    assert invoice.charge.open_amount == 0  # the ledger applied the balance by itself

    received = money_received(auto_shop.pk, *week_of(today))

    assert [(r.day, r.kind, r.mode, r.amount, r.invoice_id) for r in received.receipts] == [
        (today, ReceiptKind.TOP_UP, "transfer", 50_00, None),
        (today, ReceiptKind.DEDUCTION, "account", 30_00, invoice.pk),
    ]
    assert received.by_mode == {"transfer": 50_00, "account": 30_00}
    assert (received.total, received.deducted) == (50_00, 30_00)


def test_an_automatic_deduction_is_in_the_account_column_of_its_invoice_row(
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    ledger.record_top_up(
        account=auto_account, amount=20_00, mode="cash", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(auto_account, today, "30.00")

    week = payments_week(auto_shop.pk, monday_of(today), ["cash", "account"])

    [invoice_row] = [row for row in week.rows if row.invoice is not None]
    assert invoice_row.invoice == invoice
    assert (invoice_row.amount("account"), invoice_row.deducted_automatically) == (20_00, 20_00)
    assert invoice_row.cells == {}  # no cell typed it: saving the page deducts nothing more
    assert len(week.rows) == 2  # the invoice and the top-up: the deduction has no row of its own
    assert (week.totals, week.grand_total, week.deducted) == (
        {"cash": 20_00, "account": 20_00},
        20_00,
        20_00,
    )


def test_an_automatic_deduction_counts_on_the_day_it_was_made_not_the_day_of_the_top_up(
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    last_week = today - dt.timedelta(weeks=1)
    ledger.record_top_up(
        account=auto_account,
        amount=40_00,
        mode="transfer",
        idempotency_key=key(),
        actor=None,
        received_on=last_week,
        occurred_at=noon(last_week),
    )
    invoice_on(auto_account, today, "25.00")

    assert money_received(auto_shop.pk, *week_of(last_week)).by_mode == {"transfer": 40_00}
    assert money_received(auto_shop.pk, *week_of(today)).by_mode == {"account": 25_00}


def test_a_cash_payment_earmarked_to_its_invoice_is_money_not_a_deduction(
    auto_shop: Shop, auto_account: Account
) -> None:
    invoice = invoice_on(auto_account, timezone.localdate(), "30.00")
    payments.settle_invoice(
        invoice=invoice, mode="cash", amount=30_00, actor=None, idempotency_key=key()
    )
    ledger.record_payment(  # a payment on account settling the oldest invoice, by itself
        account=auto_account, amount=5_00, mode="card", idempotency_key=key(), actor=None
    )

    received = money_received(auto_shop.pk, *week_of(timezone.localdate()))

    assert received.by_mode == {"cash": 30_00, "card": 5_00}
    assert received.deducted == 0


def test_an_over_payment_applied_to_the_next_invoice_is_deducted_once(
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    first = invoice_on(auto_account, today, "30.00")
    payments.settle_invoice(
        invoice=first, mode="cash", amount=50_00, actor=None, idempotency_key=key()
    )
    second = invoice_on(auto_account, today, "15.00")

    received = money_received(auto_shop.pk, *week_of(today))

    assert [(r.kind, r.mode, r.amount, r.invoice_id) for r in received.receipts] == [
        (ReceiptKind.PAYMENT, "cash", 50_00, first.pk),
        (ReceiptKind.DEDUCTION, "account", 15_00, second.pk),
    ]
    assert (received.total, received.deducted) == (50_00, 15_00)


def test_an_account_settlement_is_listed_once_not_again_as_an_automatic_deduction(
    shop: Shop, account: Account
) -> None:
    today = timezone.localdate()
    ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(account, today, "30.00")  # the shop applies nothing by itself
    settlement = payments.settle_invoice(
        invoice=invoice, mode="account", amount=30_00, actor=None, idempotency_key=key()
    )

    received = money_received(shop.pk, *week_of(today))

    deductions = [r for r in received.receipts if r.kind == ReceiptKind.DEDUCTION]
    assert [(r.amount, r.settlement_id) for r in deductions] == [(30_00, settlement.pk)]
    assert received.deducted == 30_00


def test_a_reversed_sale_that_was_paid_from_the_balance_shows_no_deduction(
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    ledger.record_top_up(
        account=auto_account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(auto_account, today, "30.00")
    ledger.reverse_entry(
        entry=invoice.charge.entry, reason="Erreur", idempotency_key=key(), actor=None
    )

    received = money_received(auto_shop.pk, *week_of(today))

    assert received.by_mode == {"transfer": 50_00}
    assert received.deducted == 0
    auto_account.refresh_from_db()
    assert auto_account.balance == 50_00  # the balance is back, to be deducted again later


def test_a_reversed_top_up_that_paid_a_sale_deducted_nothing(
    auto_shop: Shop, auto_account: Account
) -> None:
    today = timezone.localdate()
    top_up = ledger.record_top_up(
        account=auto_account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(auto_account, today, "30.00")
    ledger.reverse_entry(entry=top_up.entry, reason="Erreur", idempotency_key=key(), actor=None)
    invoice.charge.refresh_from_db()
    assert invoice.charge.open_amount == 30_00  # owed again

    received = money_received(auto_shop.pk, *week_of(today))

    assert (received.receipts, received.deducted) == ([], 0)


def test_the_account_tab_shows_a_balance_applied_automatically_as_deducted_not_received(
    auto_shop: Shop, auto_account: Account
) -> None:
    from django.urls import reverse

    from tests.factories import client_for, owner_of

    today = timezone.localdate()
    ledger.record_top_up(
        account=auto_account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice_on(auto_account, today, "30.00")

    response = client_for(owner_of(auto_shop)).get(
        reverse("staff:customer_account", args=[auto_account.customer_id]),
        {"start": today.isoformat(), "end": today.isoformat()},
    )

    received = response.context["received"]
    assert (received.total, received.deducted) == (50_00, 30_00)
    page = response.content.decode()
    assert 'id="received-total">€50.00<' in page
    assert 'id="received-deducted">€30.00<' in page
