"""Issue 10, at the foot of an invoice and on its refund form: money is recorded only when the
cashier means it, online payments only by a provider, each payment on its own date received,
and mistakes corrected by a reversal from the screens. Every refusal writes nothing."""

import datetime as dt
import html
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import formats, timezone, translation

from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account, ChargeStatus, Credit, CreditStatus, JournalEntry
from ardoise.payments import services as payments
from ardoise.payments.models import Settlement, SettlementStatus
from ardoise.shops.models import RoleKind, Shop
from tests.factories import key
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _day(day: dt.date) -> str:
    """A day as the English pages write it (the shop's locale decides the order)."""
    with translation.override("en"):
        return formats.date_format(day, "SHORT_DATE_FORMAT")


def _detail(invoice: Invoice) -> str:
    return reverse("staff:charge_detail", args=[invoice.charge_id])


def _settle_url(invoice: Invoice) -> str:
    return reverse("staff:charge_settle", args=[invoice.charge_id])


def _settle(invoice: Invoice, amount: int, mode: str = "cash") -> Settlement:
    return payments.settle_invoice(
        invoice=invoice, mode=mode, amount=amount, actor=None, idempotency_key=key()
    )


# --- 1. A paid invoice offers no second payment ------------------------------------------------


def test_a_paid_invoice_shows_how_it_was_paid_and_offers_no_settlement_form(
    owner_client: Client, invoice: Invoice
) -> None:
    _settle(invoice, 70_00, mode="cheque")

    page = owner_client.get(_detail(invoice)).content.decode()

    assert 'id="settle-form"' not in page
    assert 'name="amount"' not in page
    assert 'value="60.00"' not in page
    assert 'data-mode="cheque"' in page
    assert "€70.00" in page
    assert "€10.00 credited to the account" in page
    assert f"<td>{_day(timezone.localdate())}</td>" in page
    assert 'id="paid-summary"' in page


def test_taking_more_money_after_a_paid_invoice_is_an_explicit_payment_on_the_account(
    owner_client: Client, invoice: Invoice
) -> None:
    _settle(invoice, 60_00)

    page = owner_client.get(_detail(invoice)).content.decode()

    customer_id = invoice.charge.account.customer_id
    payment_url = reverse("staff:customer_movement", args=[customer_id, "payment"])
    assert f'id="record-payment" href="{payment_url}"' in page


def test_a_partly_paid_invoice_offers_only_what_is_still_owed(
    owner_client: Client, invoice: Invoice
) -> None:
    _settle(invoice, 20_00)

    form = owner_client.get(_detail(invoice)).context["settle_form"]

    assert (form.initial["amount"], form.initial["expected_open"]) == (40_00, 40_00)
    assert 'value="40.00"' in owner_client.get(_detail(invoice)).content.decode()


def test_a_fully_refunded_invoice_says_so_and_offers_nothing_to_settle(
    owner_client: Client, invoice: Invoice
) -> None:
    ledger.issue_credit_note(
        charge=invoice.charge, amount=60_00, reason="Returned", idempotency_key=key(), actor=None
    )

    page = owner_client.get(_detail(invoice)).content.decode()

    assert '<span class="badge badge-danger" id="charge-status">Refunded</span>' in page
    assert "This sale was fully refunded: €60.00 back to the account, €0.00 paid out." in page
    assert 'id="settle-form"' not in page
    assert "Paid in full" not in page
    assert ">Paid<" not in page


# A refusal inside a savepoint=False use case dooms the enclosing transaction: none here, as in a
# view.
@pytest.mark.django_db(transaction=True)
def test_reposting_an_old_settlement_form_records_nothing(
    owner_client: Client, invoice: Invoice
) -> None:
    shown = owner_client.get(_detail(invoice)).context["settle_form"].initial
    old_form = {
        "mode": "cash",
        "amount": shown["amount"],
        "expected_open": str(shown["expected_open"]),
        "idempotency_key": shown["idempotency_key"],
    }
    first = owner_client.post(_settle_url(invoice), old_form)
    assert first.status_code == 302
    rows = Settlement.objects.count()

    with nothing_written():
        again = owner_client.post(_settle_url(invoice), old_form)  # the same form, reposted
        other_tab = owner_client.post(_settle_url(invoice), old_form | {"idempotency_key": key()})

    assert again.status_code == 302
    assert other_tab.status_code == 302
    assert Settlement.objects.count() == rows == 1
    page = owner_client.get(_detail(invoice)).content.decode()
    assert "The page was out of date: this invoice was settled meanwhile" in page
    assert "Nothing was recorded." in page


def test_a_settlement_form_without_the_amount_it_showed_records_nothing(
    owner_client: Client, invoice: Invoice
) -> None:
    with nothing_written():
        response = owner_client.post(
            _settle_url(invoice), {"mode": "cash", "amount": "60", "idempotency_key": key()}
        )

    assert response.status_code == 400
    assert b"The page was out of date. Nothing was recorded." in response.content
    assert Settlement.objects.count() == 0


# --- 2. A refund of an unpaid sale shows its split --------------------------------------------


def _refund(owner_client: Client, invoice: Invoice, **fields: str):  # type: ignore[no-untyped-def]
    data = {"amount": "60.00", "mode": "cash", "reason": "Returned", "idempotency_key": key()}
    return owner_client.post(
        reverse("staff:charge_refund", args=[invoice.charge_id]), data | fields
    )


def test_a_cash_refund_of_an_unpaid_sale_is_refused_with_the_split_and_writes_nothing(
    owner_client: Client, invoice: Invoice
) -> None:
    _settle(invoice, 20_00)

    with nothing_written():
        response = _refund(owner_client, invoice)

    assert response.status_code == 400
    text = html.unescape(response.content.decode())
    assert (
        "This sale is not fully paid: €40.00 must go back to the customer's account and at most "
        "€20.00 may be paid out in cash. Check the split and confirm."
    ) in text
    assert response.context["form"]["to_account"].value() == "40.00"  # shown, ready to confirm


def test_an_unpaid_sale_refunded_in_cash_tells_that_nothing_may_be_paid_out(
    owner_client: Client, invoice: Invoice
) -> None:
    with nothing_written():
        response = _refund(owner_client, invoice)

    assert response.status_code == 400
    assert "€60.00 must go back to the customer's account and at most €0.00" in (
        html.unescape(response.content.decode())
    )


def test_the_banner_after_a_refund_says_where_the_money_went(
    owner_client: Client, invoice: Invoice
) -> None:
    _settle(invoice, 20_00)

    response = _refund(owner_client, invoice, to_account="40.00")

    assert response.status_code == 302
    page = owner_client.get(_detail(invoice)).content.decode()
    assert "Refund recorded: €40.00 back to the account, €20.00 paid in cash." in page
    note = Credit.objects.get(against_charge=invoice.charge)
    assert (note.amount, note.payout_amount, note.payout_mode) == (40_00, 20_00, "cash")


def test_a_refund_to_the_account_says_so(owner_client: Client, invoice: Invoice) -> None:
    _refund(owner_client, invoice, mode="account")

    page = owner_client.get(_detail(invoice)).content.decode()
    assert "Refund recorded: €60.00 back to the account." in page


# --- 3. "Online payment" is not a manual mode ------------------------------------------------


def test_online_payment_is_offered_neither_to_settle_nor_to_refund(
    owner_client: Client, invoice: Invoice
) -> None:
    settle = owner_client.get(_detail(invoice)).context["settle_form"]
    refund = owner_client.get(reverse("staff:charge_refund", args=[invoice.charge_id]))

    assert "online" not in dict(settle.fields["mode"].choices)
    assert "online" not in dict(refund.context["form"].fields["mode"].choices)
    assert b'value="online"' not in refund.content


def test_online_payment_posted_anyway_to_settle_or_refund_is_refused_and_writes_nothing(
    owner_client: Client, invoice: Invoice
) -> None:
    with nothing_written():
        settled = owner_client.post(
            _settle_url(invoice),
            {"mode": "online", "amount": "60", "expected_open": "6000", "idempotency_key": key()},
        )
        refunded = _refund(owner_client, invoice, mode="online", to_account="0")

    assert (settled.status_code, refunded.status_code) == (400, 400)
    assert Settlement.objects.count() == 0


# --- 4. The date received ----------------------------------------------------------------------


def test_a_settlement_keeps_the_day_the_cheque_was_received(
    owner_client: Client, invoice: Invoice
) -> None:
    friday = timezone.localdate() - dt.timedelta(days=3)
    response = owner_client.post(
        _settle_url(invoice),
        {
            "mode": "cheque",
            "amount": "60,00",
            "received_on": friday.isoformat(),
            "expected_open": "6000",
            "idempotency_key": key(),
        },
    )

    assert response.status_code == 302
    settlement = Settlement.objects.get()
    assert (settlement.received_on, settlement.credit.received_on) == (friday, friday)
    assert timezone.localdate(settlement.credit.entry.occurred_at) == friday


def test_the_settlement_date_defaults_to_today(owner_client: Client, invoice: Invoice) -> None:
    form = owner_client.get(_detail(invoice)).context["settle_form"]

    assert form.initial["received_on"] == timezone.localdate()
    assert form["received_on"].field.widget.attrs["max"] == timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("day", "message"),
    [
        (dt.timedelta(days=1), "The date cannot be in the future."),
        (-dt.timedelta(days=400), "The date cannot be before"),
    ],
)
def test_a_settlement_dated_in_the_future_or_long_before_the_shop_is_refused(
    owner_client: Client, invoice: Invoice, day: dt.timedelta, message: str
) -> None:
    with nothing_written():
        response = owner_client.post(
            _settle_url(invoice),
            {
                "mode": "cash",
                "amount": "60",
                "received_on": (timezone.localdate() + day).isoformat(),
                "expected_open": "6000",
                "idempotency_key": key(),
            },
        )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Settlement.objects.count() == 0


# --- 5. Reversal from the screens ---------------------------------------------------------------


def _reverse(client: Client, name: str, pk: int, reason: str = "Keyed twice", **data: str):  # type: ignore[no-untyped-def]
    return client.post(
        reverse(name, args=[pk]), {"reason": reason, "idempotency_key": key()} | data
    )


def test_a_sale_entered_by_mistake_is_reversed_from_its_page(
    owner_client: Client, account: Account, invoice: Invoice
) -> None:
    response = _reverse(owner_client, "staff:charge_reverse", invoice.charge_id)

    assert response.status_code == 302
    invoice.charge.refresh_from_db()
    account.refresh_from_db()
    assert (invoice.charge.status, account.balance) == (ChargeStatus.VOID, 0)
    reversal = JournalEntry.objects.get(reverses=invoice.charge.entry)
    assert reversal.reason == "Keyed twice"
    page = owner_client.get(_detail(invoice)).content.decode()
    assert "Reversed: €60.00 is no longer owed." in page


@pytest.mark.parametrize("kind", ["top_up", "payment", "adjustment"])
def test_a_top_up_a_payment_or_an_adjustment_is_reversed_from_its_page(
    owner_client: Client, account: Account, kind: str
) -> None:
    record = {
        "top_up": ledger.record_top_up,
        "payment": ledger.record_payment,
    }.get(kind)
    if record is None:
        credit = ledger.post_credit_adjustment(
            account=account, amount=25_00, reason="Gesture", idempotency_key=key(), actor=None
        )
    else:
        credit = record(
            account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
        )
    page = owner_client.get(reverse("staff:credit_detail", args=[credit.pk]))
    assert b'id="reverse"' in page.content

    response = _reverse(owner_client, "staff:credit_reverse", credit.pk)

    assert response.status_code == 302
    credit.refresh_from_db()
    account.refresh_from_db()
    assert (credit.status, account.balance) == (CreditStatus.VOID, 0)
    after = owner_client.get(reverse("staff:credit_detail", args=[credit.pk])).content.decode()
    assert "Reversed: €25.00 taken back off the account." in after
    assert 'id="reverse"' not in after


def test_reversing_the_payment_of_a_settled_invoice_reverses_its_settlement(
    owner_client: Client, invoice: Invoice
) -> None:
    settlement = _settle(invoice, 60_00)

    _reverse(owner_client, "staff:credit_reverse", settlement.credit_id)

    settlement.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (settlement.status, invoice.charge.status) == (
        SettlementStatus.REVERSED,
        ChargeStatus.OPEN,
    )


def test_a_reversal_posted_twice_reverses_once(owner_client: Client, account: Account) -> None:
    credit = ledger.record_top_up(
        account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
    )
    data = {"reason": "Keyed twice", "idempotency_key": key()}
    url = reverse("staff:credit_reverse", args=[credit.pk])
    owner_client.post(url, data)

    with nothing_written():
        again = owner_client.post(url, data)

    assert again.status_code == 302
    assert JournalEntry.objects.filter(reverses=credit.entry).count() == 1
    assert "Reversed: €25.00" in owner_client.get(again["Location"]).content.decode()


def test_a_reversal_needs_a_reason_and_writes_nothing_without_one(
    owner_client: Client, invoice: Invoice
) -> None:
    with nothing_written():
        response = _reverse(owner_client, "staff:charge_reverse", invoice.charge_id, reason=" ")

    assert response.status_code == 302
    assert "A reason is required" in owner_client.get(_detail(invoice)).content.decode()


def test_a_role_without_the_reverse_permission_gets_403_and_writes_nothing(
    client_as: Callable[[str], Client], account: Account, invoice: Invoice
) -> None:
    credit = ledger.record_top_up(
        account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
    )
    associate = client_as(RoleKind.ASSOCIATE)

    with nothing_written():
        sale = _reverse(associate, "staff:charge_reverse", invoice.charge_id)
        top_up = _reverse(associate, "staff:credit_reverse", credit.pk)

    assert (sale.status_code, top_up.status_code) == (403, 403)
    assert b'id="reverse"' not in associate.get(_detail(invoice)).content


def test_another_shops_credit_is_a_404(other_client: Client, account: Account) -> None:
    credit = ledger.record_top_up(
        account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
    )

    with nothing_written():
        statuses = [
            other_client.get(reverse("staff:credit_detail", args=[credit.pk])).status_code,
            other_client.get(reverse("staff:credit_receipt", args=[credit.pk])).status_code,
            _reverse(other_client, "staff:credit_reverse", credit.pk).status_code,
        ]

    assert statuses == [404, 404, 404]


def test_the_account_activity_links_each_movement_to_its_page(
    owner_client: Client, account: Account
) -> None:
    credit = ledger.record_top_up(
        account=account, amount=25_00, mode="cash", idempotency_key=key(), actor=None
    )

    page = owner_client.get(reverse("staff:customer_account", args=[account.customer_id]))

    assert reverse("staff:credit_detail", args=[credit.pk]).encode() in page.content


# --- 6. Receipts ------------------------------------------------------------------------------


def test_a_receipt_prints_for_a_top_up_with_its_mode_amount_date_and_balance_after(
    owner_client: Client, shop: Shop, account: Account, invoice: Invoice
) -> None:
    credit = ledger.record_top_up(
        account=account,
        amount=100_00,
        mode="transfer",
        received_on=timezone.localdate() - dt.timedelta(days=3),
        idempotency_key=key(),
        actor=None,
    )
    ledger.record_payment(
        account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
    )

    receipt = owner_client.get(reverse("staff:credit_receipt", args=[credit.pk])).content.decode()

    assert "Top-up received" in receipt
    assert '<td class="num" data-mode>Transfer</td>' in receipt
    assert "<strong data-amount>€100.00</strong>" in receipt
    day = _day(timezone.localdate() - dt.timedelta(days=3))
    assert f"data-received-on>{day}<" in receipt
    # The balance right after the top-up (60 owed, 100 in: +40), and the balance now (+45).
    assert "<strong data-balance-after>€40.00</strong>" in receipt
    assert "<strong data-balance>€45.00</strong>" in receipt
    assert shop.name in receipt


def test_a_payment_page_offers_its_receipt(owner_client: Client, account: Account) -> None:
    credit = ledger.record_payment(
        account=account, amount=5_00, mode="cash", idempotency_key=key(), actor=None
    )

    page = owner_client.get(reverse("staff:credit_detail", args=[credit.pk])).content.decode()

    assert reverse("staff:credit_receipt", args=[credit.pk]) in page
    assert (
        "Payment received"
        in owner_client.get(reverse("staff:credit_receipt", args=[credit.pk])).content.decode()
    )


def test_the_payments_page_has_no_online_cell_to_type_in(
    owner_client: Client, invoice: Invoice
) -> None:
    page = owner_client.get(reverse("staff:payments_week")).content.decode()

    assert f'name="amount-{invoice.pk}-cash"' in page
    assert f'name="amount-{invoice.pk}-online"' not in page


def test_a_refunded_sale_asks_for_its_refunds_to_be_reversed_first(
    owner_client: Client, invoice: Invoice
) -> None:
    note = ledger.issue_credit_note(
        charge=invoice.charge, amount=10_00, reason="Abîmé", idempotency_key=key(), actor=None
    )

    page = owner_client.get(_detail(invoice)).content.decode()

    assert 'id="reverse-refunds-first"' in page
    assert reverse("staff:charge_reverse", args=[invoice.charge_id]) not in page
    assert reverse("staff:credit_detail", args=[note.pk]) in page
