"""`record_payment(apply_to=...)`: a payment settles the charges it is meant for, first."""

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import InvalidAllocation
from ardoise.ledger.models import ChargeStatus, Credit
from tests.factories import key, make_account, make_shop
from tests.ledger import support

pytestmark = pytest.mark.django_db


def test_payment_settles_the_given_charges_before_the_oldest() -> None:
    shop = make_shop()
    account = make_account(shop)
    oldest = support.charge(account, 10_00, day=1)
    second = support.charge(account, 20_00, day=2)
    third = support.charge(account, 30_00, day=3)

    credit = ledger.record_payment(
        account=account,
        amount=50_00,
        mode="online",
        idempotency_key=key(),
        actor=None,
        apply_to=[third, second],
    )

    for charge in (oldest, second, third):
        charge.refresh_from_db()
    assert [(c.open_amount, c.status) for c in (oldest, second, third)] == [
        (10_00, ChargeStatus.OPEN),
        (0, ChargeStatus.PAID),
        (0, ChargeStatus.PAID),
    ]
    assert credit.unapplied_amount == 0
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (-10_00, 10_00, 0)
    assert check_ledger().problems == []


def test_remainder_after_the_given_charges_follows_the_shop_rule() -> None:
    shop = make_shop(auto_allocate=False)
    account = make_account(shop)
    first = support.charge(account, 10_00, day=1)
    other = support.charge(account, 20_00, day=2)

    credit = ledger.record_payment(
        account=account,
        amount=15_00,
        mode="online",
        idempotency_key=key(),
        actor=None,
        apply_to=[first],
    )

    first.refresh_from_db()
    other.refresh_from_db()
    assert (first.status, other.open_amount, credit.unapplied_amount) == (
        ChargeStatus.PAID,
        20_00,
        5_00,
    )
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (-15_00, 20_00, 5_00)


def test_charges_paid_meanwhile_are_skipped_and_the_rest_stays_as_credit() -> None:
    shop = make_shop()
    account = make_account(shop)
    charge = support.charge(account, 10_00, day=1)
    ledger.record_payment(
        account=account, amount=10_00, mode="cash", idempotency_key=key(), actor=None
    )

    credit = ledger.record_payment(
        account=account,
        amount=10_00,
        mode="online",
        idempotency_key=key(),
        actor=None,
        apply_to=[charge],
    )

    assert credit.unapplied_amount == 10_00
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (10_00, 0, 10_00)


def test_a_charge_of_another_account_is_refused_and_nothing_is_written() -> None:
    shop = make_shop()
    account = make_account(shop)
    stranger = make_account(shop)
    foreign = support.charge(stranger, 10_00, day=1)

    with pytest.raises(InvalidAllocation):
        ledger.record_payment(
            account=account,
            amount=10_00,
            mode="online",
            idempotency_key=key(),
            actor=None,
            apply_to=[foreign],
        )

    account.refresh_from_db()
    assert (account.balance, account.version, Credit.objects.filter(account=account).count()) == (
        0,
        0,
        0,
    )


def test_replaying_the_same_key_returns_the_first_payment() -> None:
    shop = make_shop()
    account = make_account(shop)
    charge = support.charge(account, 10_00, day=1)
    same = key()

    first = ledger.record_payment(
        account=account,
        amount=10_00,
        mode="online",
        idempotency_key=same,
        actor=None,
        apply_to=[charge],
    )
    second = ledger.record_payment(
        account=account,
        amount=10_00,
        mode="online",
        idempotency_key=same,
        actor=None,
        apply_to=[charge],
    )

    assert first.pk == second.pk
    assert Credit.objects.filter(account=account).count() == 1
