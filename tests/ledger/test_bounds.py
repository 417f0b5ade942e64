"""Amounts are bounded (core/money.py): the services refuse more, the database refuses what a
service would not have written, and ledger_check reports a corrupt row instead of crashing."""

import pytest
from django.db import IntegrityError, connection, transaction

from ardoise.core.money import MAX_AMOUNT, MAX_BALANCE
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import AmountTooLarge, BalanceOutOfRange, InvalidCreditLimit
from ardoise.ledger.models import Account, Charge
from ardoise.shops.models import Shop
from tests.factories import key, make_account
from tests.ledger.support import charge
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def test_an_amount_at_the_bound_is_refused_and_writes_nothing(account: Account) -> None:
    with nothing_written(), pytest.raises(AmountTooLarge):
        ledger.post_charge(account=account, total=MAX_AMOUNT, idempotency_key=key(), actor=None)
    with nothing_written(), pytest.raises(AmountTooLarge):
        ledger.record_top_up(
            account=account, amount=MAX_AMOUNT, mode="cash", idempotency_key=key(), actor=None
        )
    with nothing_written(), pytest.raises(InvalidCreditLimit):
        ledger.change_credit_limit(
            account=account, credit_limit=MAX_AMOUNT, actor=None, idempotency_key=key()
        )


def test_the_largest_amount_is_taken(shop: Shop) -> None:
    account = make_account(shop, credit_limit=None)

    charge(account, MAX_AMOUNT - 1)

    account.refresh_from_db()
    assert (account.balance, account.debt) == (-(MAX_AMOUNT - 1), MAX_AMOUNT - 1)


def test_a_balance_that_would_leave_its_bound_is_refused_not_overflowed(shop: Shop) -> None:
    # Given an account (no limit) whose Debt is just under the bound: set in place, as ten
    # thousand sales of the largest amount would have made it.
    account = make_account(shop, credit_limit=None)
    Account.objects.filter(pk=account.pk).update(debt=MAX_BALANCE - 10, balance=10 - MAX_BALANCE)

    with nothing_written(), pytest.raises(BalanceOutOfRange):
        charge(account, 20)

    account.refresh_from_db()
    assert (account.debt, account.balance) == (MAX_BALANCE - 10, 10 - MAX_BALANCE)


@pytest.mark.parametrize("value", [MAX_AMOUNT, -1])
def test_the_database_refuses_an_out_of_range_amount(account: Account, value: int) -> None:
    sale = charge(account, 10_00)

    with pytest.raises(IntegrityError), transaction.atomic():
        Charge.objects.filter(pk=sale.pk).update(open_amount=value)

    sale.refresh_from_db()
    assert sale.open_amount == 10_00


def test_sqlite_refuses_a_float_where_an_amount_goes(account: Account) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL's bigint cannot hold a float at all")
    sale = charge(account, 10_00)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE ledger_charge SET open_amount = 12.5 WHERE id = %s", [sale.pk])

    sale.refresh_from_db()
    assert sale.open_amount == 10_00


def test_ledger_check_reports_a_corrupt_row_instead_of_crashing(account: Account) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            corrupt = "12.5"
        else:  # before any write (pending triggers forbid it after); rolled back with the test
            for name in ("ledger_charge_bounded", "ledger_charge_open_in_range"):
                cursor.execute(f"ALTER TABLE ledger_charge DROP CONSTRAINT {name}")
            corrupt = str(MAX_AMOUNT * 10)
    sale = charge(account, 10_00)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA ignore_check_constraints = ON")
        try:
            cursor.execute(
                f"UPDATE ledger_charge SET open_amount = {corrupt} WHERE id = %s", [sale.pk]
            )
        finally:
            if connection.vendor == "sqlite":
                cursor.execute("PRAGMA ignore_check_constraints = OFF")

    report = check_ledger()

    assert f"charge {sale.pk}: open_amount is not a whole number of minor units within" in (
        " ".join(report.problems)
    )
    assert report.ok is False
