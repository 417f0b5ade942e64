"""Money taken by hand (payments.services): settlements that name what the page showed, online
payments left to providers, dates received within bounds, refunds that state their split and
reversals of any credit. Every refusal writes nothing (ledger rows and settlements)."""

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone, translation

from ardoise.invoicing.models import Invoice
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import AlreadyReversed
from ardoise.ledger.models import Account, ChargeStatus, CreditKind, CreditStatus, JournalEntry
from ardoise.payments import selectors as payment_selectors
from ardoise.payments import services as payments
from ardoise.payments.errors import (
    ModeNotAccepted,
    ModeOnlineOnly,
    ReceivedOnOutOfRange,
    RefundSplitRequired,
    SettlementPageOutOfDate,
)
from ardoise.payments.models import PaymentMode, Settlement, SettlementStatus
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.invoicing.builders import make_invoice
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def shop(db: None) -> Shop:
    return make_shop()


@pytest.fixture
def account(shop: Shop) -> Account:
    return make_account(shop)


@pytest.fixture
def invoice(account: Account) -> Invoice:
    return make_invoice(account)  # 60,00 €


def _settle(invoice: Invoice, **fields: object) -> Settlement:
    data: dict = {"mode": "cash", "amount": 60_00, "actor": None, "idempotency_key": key()}
    return payments.settle_invoice(invoice=invoice, **(data | fields))


# --- Settlement named after what the page showed -------------------------------------------------


def test_a_settlement_of_what_the_page_showed_is_recorded(invoice: Invoice) -> None:
    settlement = _settle(invoice, expected_open=60_00)

    invoice.charge.refresh_from_db()
    assert (settlement.applied_amount, invoice.charge.status) == (60_00, ChargeStatus.PAID)


# A refusal inside a savepoint=False use case dooms the enclosing transaction: none here, as in a
# view.
@pytest.mark.django_db(transaction=True)
def test_a_settlement_from_a_page_shown_before_the_invoice_was_paid_writes_nothing(
    invoice: Invoice,
) -> None:
    _settle(invoice, amount=20_00)
    rows = Settlement.objects.count()

    with nothing_written(), pytest.raises(SettlementPageOutOfDate) as refusal:
        _settle(invoice, expected_open=60_00)

    assert str(refusal.value) == (
        "The page was out of date: this invoice was settled meanwhile (still owed now: €40.00). "
        "Nothing was recorded."
    )
    assert Settlement.objects.count() == rows


def test_the_same_settlement_posted_again_comes_back_without_a_second_payment(
    invoice: Invoice,
) -> None:
    first = _settle(invoice, expected_open=60_00, idempotency_key="form-1")

    with nothing_written():
        again = _settle(invoice, expected_open=60_00, idempotency_key="form-1")

    assert again.pk == first.pk


# --- Online payment only from a provider -------------------------------------------------------


def test_online_is_not_a_manual_mode(shop: Shop) -> None:
    assert "online" not in [mode.code for mode in payment_selectors.manual_modes(shop.pk)]
    assert "online" in [mode.code for mode in payment_selectors.accepted_modes(shop.pk)]


def test_settling_by_online_payment_by_hand_is_refused_and_writes_nothing(
    invoice: Invoice,
) -> None:
    with nothing_written(), pytest.raises(ModeOnlineOnly):
        _settle(invoice, mode="online")
    with nothing_written(), pytest.raises(ModeOnlineOnly):
        payments.set_settled_amount(
            invoice=invoice,
            mode="online",
            amount=60_00,
            version=0,
            actor=None,
            idempotency_key=key(),
        )
    assert Settlement.objects.count() == 0


def test_a_payment_or_top_up_by_online_payment_by_hand_is_refused_and_writes_nothing(
    account: Account,
) -> None:
    for top_up in (False, True):
        with nothing_written(), pytest.raises(ModeOnlineOnly):
            payments.record_received(
                account=account,
                top_up=top_up,
                amount=10_00,
                mode="online",
                reference="",
                received_on=None,
                occurred_at=None,
                idempotency_key=key(),
                actor=None,
            )


def test_a_refund_paid_out_online_or_by_a_mode_not_accepted_is_refused(
    shop: Shop, invoice: Invoice
) -> None:
    _settle(invoice)
    PaymentMode.objects.filter(shop=shop, code="cheque").update(is_accepted=False)
    for mode, refusal in (("online", ModeOnlineOnly), ("cheque", ModeNotAccepted)):
        with nothing_written(), pytest.raises(refusal):
            payments.refund_charge(
                charge=invoice.charge,
                amount=10_00,
                reason="Returned",
                refund_mode=mode,
                to_account=0,
                idempotency_key=key(),
                actor=None,
            )


# --- The date received ---------------------------------------------------------------------------


def test_a_payment_keeps_the_day_it_was_received(account: Account) -> None:
    friday = timezone.localdate() - dt.timedelta(days=3)

    credit = payments.record_received(
        account=account,
        top_up=True,
        amount=50_00,
        mode="cheque",
        reference="",
        received_on=friday,
        occurred_at=None,
        idempotency_key=key(),
        actor=None,
    )

    assert (credit.kind, credit.received_on) == (CreditKind.TOP_UP, friday)


@pytest.mark.parametrize("days", [1, -367 - 365])
def test_a_date_received_in_the_future_or_long_before_the_shop_is_refused(
    shop: Shop, account: Account, invoice: Invoice, days: int
) -> None:
    day = timezone.localdate() + dt.timedelta(days=days)
    with nothing_written(), pytest.raises(ReceivedOnOutOfRange):
        _settle(invoice, received_on=day)
    with nothing_written(), pytest.raises(ReceivedOnOutOfRange):
        payments.record_received(
            account=account,
            top_up=False,
            amount=10_00,
            mode="cash",
            reference="",
            received_on=day,
            occurred_at=None,
            idempotency_key=key(),
            actor=None,
        )
    assert Settlement.objects.count() == 0


def test_the_earliest_date_received_is_a_year_before_the_shop_was_created(shop: Shop) -> None:
    created = timezone.localdate(shop.created_at)

    assert payment_selectors.earliest_received_on(shop) == created - dt.timedelta(days=365)


# --- Refunds that say where the money goes ------------------------------------------------------


def test_a_cash_refund_of_an_unpaid_sale_without_its_split_is_refused_and_writes_nothing(
    invoice: Invoice,
) -> None:
    _settle(invoice, amount=20_00)

    with nothing_written(), pytest.raises(RefundSplitRequired) as refusal:
        payments.refund_charge(
            charge=invoice.charge,
            amount=60_00,
            reason="Returned",
            refund_mode="cash",
            to_account=None,
            idempotency_key=key(),
            actor=None,
        )

    assert refusal.value.params["minimum"] == 40_00
    assert str(refusal.value) == (
        "This sale is not fully paid: €40.00 must go back to the customer's account and at most "
        "€20.00 may be paid out in cash. Check the split and confirm."
    )


def test_a_cash_refund_of_a_paid_sale_needs_no_split(invoice: Invoice) -> None:
    _settle(invoice)

    note = payments.refund_charge(
        charge=invoice.charge,
        amount=60_00,
        reason="Returned",
        refund_mode="cash",
        to_account=None,
        idempotency_key=key(),
        actor=None,
    )

    assert (note.amount, note.payout_amount, note.payout_mode) == (0, 60_00, "cash")


# --- Reversal of any credit --------------------------------------------------------------------


def test_reversing_a_settled_payment_reverses_its_settlement_once(invoice: Invoice) -> None:
    settlement = _settle(invoice)
    assert settlement.credit is not None

    reversal = payments.reverse_credit(
        credit=settlement.credit, reason="Cheque bounced", actor=None, idempotency_key="rev-1"
    )
    with nothing_written():
        again = payments.reverse_credit(
            credit=settlement.credit, reason="Cheque bounced", actor=None, idempotency_key="rev-1"
        )

    settlement.refresh_from_db()
    settlement.credit.refresh_from_db()
    assert again.pk == reversal.pk
    assert (settlement.status, settlement.reversal_entry_id, settlement.credit.status) == (
        SettlementStatus.REVERSED,
        reversal.pk,
        CreditStatus.VOID,
    )
    with nothing_written(), pytest.raises(AlreadyReversed):
        payments.reverse_credit(
            credit=settlement.credit, reason="Again", actor=None, idempotency_key=key()
        )
    assert check_ledger().problems == []


def test_reversing_a_top_up_takes_it_back_off_the_balance(account: Account) -> None:
    credit = ledger.record_top_up(
        account=account, amount=30_00, mode="cash", idempotency_key=key(), actor=None
    )

    reversal = payments.reverse_credit(
        credit=credit, reason="Keyed twice", actor=None, idempotency_key=key()
    )

    account.refresh_from_db()
    assert (account.balance, reversal.reverses_id, reversal.reason) == (
        0,
        credit.entry_id,
        "Keyed twice",
    )
    assert JournalEntry.objects.filter(reverses=credit.entry).count() == 1
