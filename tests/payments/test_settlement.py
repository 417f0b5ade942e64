"""Settling invoices by mode (payments.services), and the refusals that write nothing."""

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import InvalidAmount
from ardoise.ledger.models import (
    ChargeStatus,
    Credit,
    CreditStatus,
)
from ardoise.payments import selectors
from ardoise.payments import services as payments
from ardoise.payments.errors import (
    InvoiceVoid,
    ModeNotAccepted,
    NothingToDeduct,
    PaymentTrackingDisabled,
    SettlementAlreadyReversed,
    SettlementChanged,
)
from ardoise.payments.models import PaymentMode, Settlement, SettlementStatus
from tests.factories import key, make_account, make_shop
from tests.invoicing.builders import make_invoice
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db


def test_cash_over_payment_raises_the_balance_by_the_difference() -> None:
    account = make_account(make_shop(auto_allocate=False))
    invoice = make_invoice(account)  # 60.00
    settlement = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=80_00, actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (settlement.amount, settlement.applied_amount, settlement.overpayment) == (
        80_00,
        60_00,
        20_00,
    )
    assert settlement.credit.mode == "cash"
    assert settlement.credit.earmark == f"charge:{invoice.charge_id}"
    assert (invoice.charge.status, invoice.charge.open_amount) == (ChargeStatus.PAID, 0)
    assert (account.balance, account.debt, account.deposit) == (20_00, 0, 20_00)
    assert check_ledger().problems == []


def test_under_payment_leaves_the_rest_owed() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    payments.settle_invoice(
        invoice=invoice, mode="cheque", amount=45_00, actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (invoice.charge.status, invoice.charge.open_amount) == (
        ChargeStatus.PARTIALLY_PAID,
        15_00,
    )
    assert account.balance == -15_00


def test_earmarked_payment_settles_its_invoice_before_older_ones() -> None:
    account = make_account(make_shop())
    older = make_invoice(account)
    newer = make_invoice(account)
    payments.settle_invoice(
        invoice=newer, mode="card", amount=60_00, actor=None, idempotency_key=key()
    )
    older.charge.refresh_from_db()
    newer.charge.refresh_from_db()
    assert (older.charge.open_amount, newer.charge.open_amount) == (60_00, 0)


def test_deducted_from_the_account_allocates_the_prepaid_credit() -> None:
    account = make_account(make_shop(auto_allocate=False))
    ledger.record_top_up(
        account=account, amount=50_00, mode="transfer", idempotency_key=key(), actor=None
    )
    invoice = make_invoice(account)  # 60.00, not settled automatically
    settlement = payments.settle_invoice(
        invoice=invoice, mode="account", amount=60_00, actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    invoice.charge.refresh_from_db()
    assert (settlement.amount, settlement.applied_amount, settlement.credit) == (50_00, 50_00, None)
    assert invoice.charge.open_amount == 10_00
    assert (account.balance, account.debt, account.deposit) == (-10_00, 10_00, 0)
    assert check_ledger().problems == []


# A refusal inside a savepoint=False use case dooms the enclosing transaction: no test one here,
# as in a view.
@pytest.mark.django_db(transaction=True)
def test_reversing_a_settlement_puts_the_debt_back_and_shows_the_reversal() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    settlement = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
    )
    reversed_ = payments.reverse_settlement(
        settlement=settlement, reason="Wrong customer", actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    settlement.credit.refresh_from_db()
    assert (reversed_.status, reversed_.reversal_reason) == (
        SettlementStatus.REVERSED,
        "Wrong customer",
    )
    assert reversed_.reversal_entry.reverses_id == settlement.credit.entry_id
    assert settlement.credit.status == CreditStatus.VOID
    assert account.balance == -60_00
    with pytest.raises(SettlementAlreadyReversed):
        payments.reverse_settlement(
            settlement=settlement, reason="again", actor=None, idempotency_key=key()
        )
    assert check_ledger().problems == []


def test_reversing_a_deduction_releases_the_credit() -> None:
    account = make_account(make_shop(auto_allocate=False))
    ledger.record_top_up(
        account=account, amount=100_00, mode="cash", idempotency_key=key(), actor=None
    )
    invoice = make_invoice(account)
    settlement = payments.settle_invoice(
        invoice=invoice, mode="account", amount=60_00, actor=None, idempotency_key=key()
    )
    payments.reverse_settlement(
        settlement=settlement, reason="Mistake", actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (40_00, 60_00, 100_00)
    assert check_ledger().problems == []


def test_same_key_twice_settles_once() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    request_key = key()
    first = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=request_key
    )
    again = payments.settle_invoice(
        invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=request_key
    )
    assert first.pk == again.pk
    assert Credit.objects.filter(account=account).count() == 1


@pytest.mark.parametrize("amount", [-5_00, 0])
def test_a_negative_or_zero_amount_is_refused_and_writes_nothing(amount: int) -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    before = database_snapshot()
    with pytest.raises(InvalidAmount):
        payments.settle_invoice(
            invoice=invoice, mode="cash", amount=amount, actor=None, idempotency_key=key()
        )
    assert database_snapshot() == before


def test_a_mode_the_shop_does_not_accept_is_refused_and_writes_nothing() -> None:
    shop = make_shop()
    PaymentMode.objects.filter(shop=shop, code="cheque").update(is_accepted=False)
    account = make_account(shop)
    invoice = make_invoice(account)
    before = database_snapshot()
    for mode in ["cheque", "bitcoin"]:
        with pytest.raises(ModeNotAccepted):
            payments.settle_invoice(
                invoice=invoice, mode=mode, amount=60_00, actor=None, idempotency_key=key()
            )
    assert database_snapshot() == before


# A refusal inside a savepoint=False use case dooms the enclosing transaction: no test one here,
# as in a view.
@pytest.mark.django_db(transaction=True)
def test_a_reversed_invoice_is_refused_and_writes_nothing() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    ledger.reverse_entry(
        entry=invoice.charge.entry, reason="Wrong order", idempotency_key=key(), actor=None
    )
    before = database_snapshot()
    with pytest.raises(InvoiceVoid):
        payments.settle_invoice(
            invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
        )
    assert database_snapshot() == before


def test_tracking_off_refuses_settlement() -> None:
    account = make_account(make_shop(payment_tracking_enabled=False))
    invoice = make_invoice(account)
    before = database_snapshot()
    with pytest.raises(PaymentTrackingDisabled):
        payments.settle_invoice(
            invoice=invoice, mode="cash", amount=60_00, actor=None, idempotency_key=key()
        )
    assert database_snapshot() == before


# A refusal inside a savepoint=False use case dooms the enclosing transaction: no test one here,
# as in a view.
@pytest.mark.django_db(transaction=True)
def test_deducting_from_an_empty_account_is_refused_and_writes_nothing() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    before = database_snapshot()
    with pytest.raises(NothingToDeduct):
        payments.settle_invoice(
            invoice=invoice, mode="account", amount=60_00, actor=None, idempotency_key=key()
        )
    assert database_snapshot() == before


def test_a_cell_typed_twice_posts_once_and_a_change_is_a_reversal() -> None:
    account = make_account(make_shop())
    invoice = make_invoice(account)
    first = payments.set_settled_amount(
        invoice=invoice, mode="cash", amount=30_00, version=0, actor=None, idempotency_key=key()
    )
    assert (first.amount, first.mode, first.status) == (30_00, "cash", SettlementStatus.ACTIVE)
    again = payments.set_settled_amount(
        invoice=invoice, mode="cash", amount=30_00, version=0, actor=None, idempotency_key=key()
    )
    assert again is None
    assert Settlement.objects.count() == 1
    with pytest.raises(SettlementChanged):  # the page showed an empty cell; it is not any more
        payments.set_settled_amount(
            invoice=invoice, mode="cash", amount=35_00, version=0, actor=None, idempotency_key=key()
        )
    second = payments.set_settled_amount(
        invoice=invoice,
        mode="cash",
        amount=35_00,
        version=first.pk,
        actor=None,
        idempotency_key=key(),
    )
    first.refresh_from_db()
    account.refresh_from_db()
    assert first.status == SettlementStatus.REVERSED
    assert (second.amount, selectors.cell_state(invoice, "cash")) == (35_00, (35_00, second.pk))
    assert account.balance == -25_00
    cleared = payments.set_settled_amount(
        invoice=invoice, mode="cash", amount=0, version=second.pk, actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    assert (cleared, account.balance, selectors.cell_state(invoice, "cash")) == (
        None,
        -60_00,
        (0, 0),
    )
    assert check_ledger().problems == []
