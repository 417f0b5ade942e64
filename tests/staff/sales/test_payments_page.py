"""The Payments page counts money on the day it was received: older invoices paid this week are
rows of this week, typed cells are received on the day chosen, refunds paid out are negative,
deductions from the account are shown apart and left out of the week's total."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.payments.models import Settlement, SettlementStatus
from ardoise.shops.models import Shop
from tests.factories import client_for, key, make_account, make_shop, owner_of
from tests.payments.test_money_received import invoice_on, monday_of
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def shop(db: None) -> Shop:
    """Credits wait to be applied: what is deducted from the account is the cashier's choice."""
    return make_shop(auto_allocate=False)


def week_page(client: Client, day: dt.date):  # type: ignore[no-untyped-def]
    return client.get(reverse("staff:payments_week"), {"week": monday_of(day).isoformat()})


def typed_cell(invoice: Invoice, mode: str, typed: str, **fields: str) -> dict[str, str]:
    return {
        f"key-{invoice.pk}": key(),
        f"version-{invoice.pk}-{mode}": "0",
        f"amount-{invoice.pk}-{mode}": typed,
        "cell": mode,
        **fields,
    }


def post_cell(client: Client, invoice: Invoice, week: dt.date, data: dict[str, str]):  # type: ignore[no-untyped-def]
    url = reverse("staff:payments_row", args=[invoice.pk]) + f"?week={week.isoformat()}"
    return client.post(url, data, HTTP_HX_REQUEST="true")


def test_a_cash_payment_today_on_an_invoice_of_three_weeks_ago_is_in_todays_cash_column(
    owner_client: Client, account: Account
) -> None:
    today = timezone.localdate()
    old = invoice_on(account, today - dt.timedelta(weeks=3))
    payments.settle_invoice(
        invoice=old, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )

    this_week = week_page(owner_client, today)
    that_week = week_page(owner_client, old.issued_on)

    rows = this_week.context["week"].rows
    assert [(row.invoice, row.day, row.cells["cash"][0]) for row in rows] == [(old, today, 60_00)]
    assert this_week.context["week"].grand_total == 60_00
    page = this_week.content.decode()
    assert 'data-total="cash">€60.00<' in page
    assert 'id="grand-total">€60.00<' in page
    assert "invoice of " in page  # the older invoice says when it was issued
    assert that_week.context["week"].totals["cash"] == 0


def test_a_cell_typed_on_last_weeks_page_is_received_on_the_day_chosen(
    owner_client: Client, account: Account
) -> None:
    friday = monday_of(timezone.localdate()) - dt.timedelta(days=3)
    invoice = invoice_on(account, friday - dt.timedelta(days=2))

    response = post_cell(
        owner_client,
        invoice,
        friday,
        typed_cell(invoice, "cheque", "25,00", received_on=friday.isoformat()),
    )

    settlement = Settlement.objects.get(invoice=invoice)
    assert response.status_code == 200
    assert (settlement.received_on, settlement.credit.received_on) == (friday, friday)
    assert week_page(owner_client, friday).context["week"].totals["cheque"] == 25_00
    assert week_page(owner_client, timezone.localdate()).context["week"].totals["cheque"] == 0


@pytest.mark.parametrize("offset", [-7, 1])  # a day of the week before, tomorrow
def test_a_received_on_day_outside_the_week_or_in_the_future_is_refused_and_writes_nothing(
    owner_client: Client, account: Account, offset: int
) -> None:
    today = timezone.localdate()
    invoice = invoice_on(account, today)
    day = (today + dt.timedelta(days=offset)).isoformat()

    with nothing_written():
        response = owner_client.post(
            reverse("staff:payments_week"),
            {
                "row": [invoice.pk],
                "week": today.isoformat(),
                **typed_cell(invoice, "cash", "10", received_on=day),
            },
        )

    assert response.status_code == 400
    assert "Choose a day of this week, today at the latest" in response.content.decode()
    assert not Settlement.objects.filter(invoice=invoice).exists()


def test_changing_this_weeks_cell_leaves_an_earlier_weeks_money_alone(
    owner_client: Client, account: Account
) -> None:
    today = timezone.localdate()
    old = invoice_on(account, today - dt.timedelta(weeks=3), "80.00")
    earlier = payments.settle_invoice(
        invoice=old,
        mode="cash",
        amount=20_00,
        actor=None,
        idempotency_key=key(),
        received_on=old.issued_on,
    )
    payments.settle_invoice(
        invoice=old, mode="cheque", amount=10_00, actor=None, idempotency_key=key()
    )

    post_cell(owner_client, old, today, typed_cell(old, "cash", "15"))

    cash = Settlement.objects.filter(invoice=old, mode="cash", status=SettlementStatus.ACTIVE)
    assert sorted(cash.values_list("pk", "amount", "received_on")) == [
        (earlier.pk, 20_00, old.issued_on),
        (earlier.pk + 2, 15_00, today),
    ]
    week = week_page(owner_client, today).context["week"]
    assert (week.totals["cash"], week.totals["cheque"], week.grand_total) == (15_00, 10_00, 25_00)


def test_a_refund_paid_out_in_cash_is_a_negative_row_in_the_cash_column(
    owner_client: Client, account: Account, invoice: Invoice
) -> None:
    payments.settle_invoice(
        invoice=invoice, mode="card", amount=60_00, actor=None, idempotency_key=key()
    )
    ledger.issue_credit_note(
        charge=invoice.charge,
        amount=20_00,
        reason="Abîmé",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )

    response = week_page(owner_client, timezone.localdate())

    week = response.context["week"]
    refunds = [row for row in week.rows if row.receipt and row.receipt.kind == "refund"]
    assert [(row.total, row.cells) for row in refunds] == [(-20_00, {"cash": (-20_00, 0)})]
    assert (week.totals["cash"], week.totals["card"], week.grand_total) == (-20_00, 60_00, 40_00)
    page = response.content.decode()
    assert 'data-kind="refund"' in page
    assert 'data-total="cash">-€20.00<' in page


def test_the_weeks_total_leaves_out_what_was_deducted_from_the_account(
    owner_client: Client, account: Account
) -> None:
    ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(account, timezone.localdate(), "30.00")
    payments.settle_invoice(
        invoice=invoice, mode="account", amount=30_00, actor=None, idempotency_key=key()
    )

    response = week_page(owner_client, timezone.localdate())

    week = response.context["week"]
    assert (week.totals["transfer"], week.totals["account"]) == (50_00, 30_00)
    assert (week.grand_total, week.deducted) == (50_00, 30_00)
    page = response.content.decode()
    assert 'id="grand-total">€50.00<' in page
    assert 'id="week-deducted">€30.00<' in page
    assert 'data-total="account">€30.00<' in page


def test_a_typed_row_swaps_the_weeks_summary_out_of_band(
    owner_client: Client, invoice: Invoice
) -> None:
    page = post_cell(
        owner_client, invoice, invoice.issued_on, typed_cell(invoice, "cash", "25")
    ).content.decode()

    assert 'id="week-summary" aria-label="Totals of the week" hx-swap-oob="true"' in page
    assert 'id="week-received">€25.00<' in page


def test_money_by_a_mode_no_longer_accepted_keeps_a_read_only_column(
    owner_client: Client, account: Account
) -> None:
    ledger.record_payment(
        account=account, amount=12_00, mode="online", idempotency_key=key(), actor=None
    )
    account.shop.payment_modes.filter(code="online").update(is_accepted=False)
    invoice = invoice_on(account, timezone.localdate())

    response = week_page(owner_client, timezone.localdate())

    columns = {column.code: column.is_editable for column in response.context["modes"]}
    assert (columns["online"], columns["cash"]) == (False, True)
    assert response.context["week"].totals["online"] == 12_00
    page = response.content.decode()
    assert f'id="amount-{invoice.pk}-online"' not in page
    assert f'id="amount-{invoice.pk}-cash"' in page


@pytest.mark.parametrize("invoices", [1, 12])
def test_payments_page_query_count_is_pinned(
    owner_client: Client,
    account: Account,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
    invoices: int,
) -> None:
    today = timezone.localdate()
    prepaid = make_account(account.shop, name="Léa Petit")
    for _ in range(invoices):
        ledger.record_top_up(
            account=prepaid, amount=7_00, mode="cash", idempotency_key=key(), actor=None
        )
        Shop.objects.filter(pk=account.shop_id).update(auto_allocate=True)
        invoice_on(prepaid, today, "7.00")  # paid from the balance, automatically
        Shop.objects.filter(pk=account.shop_id).update(auto_allocate=False)
        invoice = invoice_on(account, today)
        old = invoice_on(account, today - dt.timedelta(weeks=2), "20.00")
        payments.settle_invoice(
            invoice=invoice, mode="cash", amount=10_00, actor=None, idempotency_key=key()
        )
        payments.settle_invoice(
            invoice=old, mode="cheque", amount=20_00, actor=None, idempotency_key=key()
        )
        ledger.record_top_up(
            account=account, amount=5_00, mode="transfer", idempotency_key=key(), actor=None
        )
        payments.settle_invoice(
            invoice=invoice, mode="account", amount=5_00, actor=None, idempotency_key=key()
        )
        ledger.issue_credit_note(
            charge=old.charge,
            amount=1_00,
            reason="Retour",
            refund_mode="cash",
            idempotency_key=key(),
            actor=None,
        )

    # session, user, membership; payment modes; money received (payments, top-ups and refunds;
    # deductions by settlement; automatic deductions; the "account" settlements' allocations,
    # not to list twice); the week's invoices.
    with django_assert_num_queries(9):
        response = week_page(owner_client, today)
    assert len(response.context["week"].rows) == invoices * 6
    assert response.context["week"].deducted == invoices * (5_00 + 7_00)


def test_a_cell_whose_payment_was_reversed_elsewhere_reads_zero_and_takes_a_new_amount(
    owner_client: Client, invoice: Invoice
) -> None:
    first = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=25_00, actor=None, idempotency_key=key()
    )
    assert first.credit is not None
    ledger.reverse_entry(  # from the account's activity, not from the Payments page
        entry=first.credit.entry, reason="Erreur", idempotency_key=key(), actor=None
    )
    row = week_page(owner_client, invoice.issued_on).context["week"].rows[0]
    assert row.cells == {}

    response = post_cell(
        owner_client, invoice, invoice.issued_on, typed_cell(invoice, "cash", "10")
    )

    assert f'id="error-{invoice.pk}-cash" hx-swap-oob="true"></div>' in response.content.decode()

    active = Settlement.objects.filter(invoice=invoice, status=SettlementStatus.ACTIVE)
    assert sorted(active.values_list("amount", flat=True)) == [10_00, 25_00]
    assert week_page(owner_client, invoice.issued_on).context["week"].totals["cash"] == 10_00


def test_a_sale_paid_from_the_balance_automatically_shows_the_deduction_and_saving_the_page_deducts_nothing_more(  # noqa: E501
    db: None,
) -> None:
    shop = make_shop(auto_allocate=True)
    account = make_account(shop, name="Léa Petit")
    client = client_for(owner_of(shop))
    today = timezone.localdate()
    ledger.record_top_up(
        account=account, amount=50_00, mode="cash", idempotency_key=key(), actor=None
    )
    invoice = invoice_on(account, today, "30.00")

    response = week_page(client, today)
    [row] = [row for row in response.context["week"].rows if row.invoice == invoice]
    assert (row.deducted_automatically, row.amount("account"), row.cells) == (30_00, 30_00, {})
    assert response.context["week"].deducted == 30_00
    page = response.content.decode()
    assert "30,00\xa0€ applied from the balance" in page or "€30.00 applied from the balance" in (
        page
    )

    # The cashier saves the page as it reads: every cell posted back with the value it shows.
    fields = dict(re.findall(r'name="((?:amount|version|key)-\d+[-\w]*)" value="([^"]*)"', page))
    response = client.post(
        reverse("staff:payments_week"),
        {"row": [invoice.pk], "week": today.isoformat(), **fields},
    )

    assert response.status_code == 302
    assert not Settlement.objects.filter(invoice=invoice).exists()
    account.refresh_from_db()
    assert account.balance == 20_00
