import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import CreditLimitExceeded
from ardoise.ledger.models import ChargeStatus
from tests.factories import key, make_account, make_shop

pytestmark = pytest.mark.django_db


def test_sale_payment_refund_cycle_keeps_every_invariant() -> None:
    shop = make_shop()
    account = make_account(shop, credit_limit=100_00)
    charge = ledger.post_charge(
        account=account, total=60_00, vat_amount=10_00, idempotency_key=key(), actor=None
    )
    payment = ledger.record_payment(
        account=account, amount=80_00, mode="cash", idempotency_key=key(), actor=None
    )
    charge.refresh_from_db()
    account.refresh_from_db()
    assert (charge.status, charge.open_amount) == (ChargeStatus.PAID, 0)
    assert (account.balance, account.debt, account.deposit) == (20_00, 0, 20_00)
    assert payment.unapplied_amount == 20_00
    note = ledger.issue_credit_note(
        charge=charge,
        amount=60_00,
        reason="returned",
        idempotency_key=key(),
        actor=None,
        refund_mode="cash",
    )
    assert (note.amount, note.payout_amount) == (0, 60_00)
    ledger.reverse_entry(
        entry=payment.entry, reason="cheque bounced", idempotency_key=key(), actor=None
    )
    account.refresh_from_db()
    # The refund was paid out in cash and the payment bounced: the customer owes that cash.
    assert (account.balance, account.debt, account.deposit) == (-60_00, 60_00, 0)
    assert check_ledger().problems == []


def test_limit_guard_refuses_and_leaves_nothing() -> None:
    shop = make_shop()
    account = make_account(shop, credit_limit=50_00)
    with pytest.raises(CreditLimitExceeded):
        ledger.post_charge(account=account, total=50_01, idempotency_key=key(), actor=None)
    account.refresh_from_db()
    assert (account.balance, account.version, account.postings.count()) == (0, 0, 0)
