import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.errors import OrderNotOpen
from ardoise.invoicing.models import Invoice, InvoiceCounter, OrderStatus
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import Charge, JournalEntry
from tests.factories import key, make_account, make_shop
from tests.invoicing.builders import line, make_invoice, make_order

pytestmark = pytest.mark.django_db


def test_an_order_is_not_in_the_account_until_delivered() -> None:
    shop = make_shop(payment_terms_days=15)
    account = make_account(shop)
    order = make_order(
        account, line("Tomates", "2.5", "4.20", unit="kg"), line("Vin", "1", "9.90", "20")
    )
    account.refresh_from_db()
    assert (order.status, order.total, order.vat_amount, order.net_amount) == (
        OrderStatus.OPEN,
        20_40,
        55 + 1_65,
        20_40 - 55 - 1_65,
    )
    assert (account.balance, Charge.objects.filter(account=account).count()) == (0, 0)

    invoice = invoicing.deliver_order(order=order, actor=None, idempotency_key=key())

    account.refresh_from_db()
    order.refresh_from_db()
    charge = invoice.charge
    assert order.status == OrderStatus.DELIVERED
    assert (charge.reference, charge.total, charge.vat_amount) == (invoice.number, 20_40, 2_20)
    assert charge.earmark == f"order:{order.pk}"
    assert invoice.due_on == invoice.issued_on + dt.timedelta(days=15)
    assert account.balance == -20_40
    assert check_ledger().problems == []


def test_invoice_numbers_are_gap_free_per_shop_and_year() -> None:
    shop, other = make_shop(), make_shop()
    account, other_account = make_account(shop, credit_limit=100_00), make_account(other)
    with time_machine.travel(dt.datetime(2025, 12, 31, 10, tzinfo=dt.UTC)):
        first = make_invoice(account)
    with time_machine.travel(dt.datetime(2026, 1, 2, 10, tzinfo=dt.UTC)):
        second = make_invoice(account, line("Oeufs", "1", "3.00"))
        # Refused by the credit limit: the number it would have taken is not lost.
        too_big = make_order(account, line("Veau", "1", "500.00"))
        with pytest.raises(CreditLimitExceeded):
            invoicing.deliver_order(order=too_big, actor=None, idempotency_key=key())
        third = make_invoice(account, line("Oeufs", "1", "3.00"))
        elsewhere = make_invoice(other_account)
    assert [first.number, second.number, third.number] == [
        "2025-000001",
        "2026-000001",
        "2026-000002",
    ]
    assert elsewhere.number == "2026-000001"
    assert InvoiceCounter.objects.get(shop=shop, year=2026).last_number == 2
    too_big.refresh_from_db()
    assert too_big.status == OrderStatus.OPEN


def test_delivering_twice_with_the_same_key_gives_the_first_invoice() -> None:
    account = make_account(make_shop())
    order = make_order(account)
    request_key = key()
    first = invoicing.deliver_order(order=order, actor=None, idempotency_key=request_key)
    again = invoicing.deliver_order(order=order, actor=None, idempotency_key=request_key)
    assert again.pk == first.pk
    with pytest.raises(OrderNotOpen):
        invoicing.deliver_order(order=order, actor=None, idempotency_key=key())
    assert (Invoice.objects.count(), Charge.objects.count()) == (1, 1)


def test_cancelling_an_undelivered_order_leaves_no_trace_in_the_account() -> None:
    account = make_account(make_shop())
    order = make_order(account)
    entries = JournalEntry.objects.count()
    cancelled = invoicing.cancel_order(order=order, actor=None, reason="Client absent")
    account.refresh_from_db()
    assert (cancelled.status, cancelled.cancel_reason) == (OrderStatus.CANCELLED, "Client absent")
    assert (account.balance, account.version, JournalEntry.objects.count()) == (0, 0, entries)
    with pytest.raises(OrderNotOpen):
        invoicing.deliver_order(order=order, actor=None, idempotency_key=key())
    assert Invoice.objects.count() == 0


def test_creating_an_order_twice_with_one_key_creates_it_once() -> None:
    account = make_account(make_shop())
    request_key = key()
    lines = [line("Pain", "2", "2.10")]
    first = invoicing.create_order(
        account=account, lines=lines, actor=None, idempotency_key=request_key
    )
    again = invoicing.create_order(
        account=account, lines=lines, actor=None, idempotency_key=request_key
    )
    assert first.pk == again.pk
    assert first.lines.count() == 1


def test_delivery_date_in_the_past_dates_the_invoice_and_the_charge() -> None:
    account = make_account(make_shop())
    when = timezone.now() - dt.timedelta(days=3)
    invoice = invoicing.deliver_order(
        order=make_order(account), actor=None, idempotency_key=key(), delivered_at=when
    )
    assert invoice.issued_on == timezone.localdate(when)
    assert invoice.charge.entry.occurred_at == when
