"""Debt, Deposit and Balance (Balance = Deposit - Debt, always) and an account's activity between
two dates with its opening, running and closing balances."""

import datetime as dt

import pytest
from django.utils import timezone

from ardoise.ledger import selectors
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.ledger.support import charge, pay, top_up

pytestmark = pytest.mark.django_db


def _at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A moment of January 2025 in the shop's time zone (Europe/Paris)."""
    return dt.datetime(2025, 1, day, hour, minute, tzinfo=timezone.get_current_timezone())


def _assert_overview_adds_up(account: Account) -> selectors.Overview:
    account.refresh_from_db()
    figures = selectors.overview(account)
    debt = sum(row.open_amount for row in selectors.open_charges(account))
    deposit = sum(row.unapplied_amount for row in selectors.unapplied_credits(account))
    assert (figures.debt, figures.deposit) == (debt, deposit)
    assert figures.balance == figures.deposit - figures.debt
    return figures


@pytest.fixture
def january() -> Account:
    """A shop that leaves credits unapplied, so Debt and Deposit are both visible."""
    account = make_account(make_shop(auto_allocate=False), credit_limit=100_00)
    charge(account, 50_00, occurred_at=_at(2))
    pay(account, 20_00, occurred_at=_at(5))
    charge(account, 30_00, occurred_at=_at(10))
    top_up(account, 100_00, occurred_at=_at(15, 23, 30))  # 22:30 UTC: still the 15th in Paris
    ledger.post_debit_adjustment(
        account=account,
        amount=5_00,
        reason="delivery",
        idempotency_key=key(),
        actor=None,
        occurred_at=_at(20),
    )
    return account


def test_overview_debt_deposit_and_balance(january: Account) -> None:
    figures = _assert_overview_adds_up(january)

    assert (figures.balance, figures.debt, figures.deposit) == (35_00, 85_00, 120_00)
    assert (figures.credit_limit, figures.used_credit, figures.available_credit) == (
        100_00,
        0,
        135_00,
    )
    assert figures.is_over_limit is False


def test_overview_adds_up_after_every_kind_of_event(january: Account) -> None:
    owner_shop = Shop.objects.get(pk=january.shop_id)
    assert owner_shop.auto_allocate is False
    sale, later = selectors.open_charges(january)[:2]
    payment, deposit = selectors.unapplied_credits(january)[:2]

    steps = [
        lambda: ledger.allocate(
            credit=deposit, charge=sale, amount=50_00, idempotency_key=key(), actor=None
        ),
        lambda: ledger.allocate(
            credit=payment, charge=later, amount=20_00, idempotency_key=key(), actor=None
        ),
        lambda: ledger.unallocate(
            credit=payment, charge=later, amount=5_00, idempotency_key=key(), actor=None
        ),
        lambda: ledger.issue_credit_note(
            charge=later, amount=12_00, reason="x", idempotency_key=key(), actor=None
        ),
        lambda: ledger.reverse_entry(
            entry=payment.entry, reason="bounced", idempotency_key=key(), actor=None
        ),
        lambda: charge(january, 90_00),
    ]
    for step in steps:
        step()
        _assert_overview_adds_up(january)

    january.refresh_from_db()
    assert (january.balance, january.debt, january.deposit) == (-63_00, 113_00, 50_00)


def test_activity_between_two_dates(january: Account) -> None:
    activity = selectors.account_activity(
        january, start=dt.date(2025, 1, 5), end=dt.date(2025, 1, 15)
    )

    assert activity.opening_balance == -50_00
    assert [(row.amount, row.running_balance) for row in activity.rows] == [
        (20_00, -30_00),
        (-30_00, -60_00),
        (100_00, 40_00),
    ]
    assert activity.closing_balance == 40_00
    assert (activity.total_in, activity.total_out) == (120_00, 30_00)
    assert (
        activity.closing_balance
        == activity.opening_balance + activity.total_in - activity.total_out
    )


def test_activity_over_the_whole_month_closes_on_the_balance(january: Account) -> None:
    activity = selectors.account_activity(
        january, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 31)
    )

    january.refresh_from_db()
    assert (activity.opening_balance, activity.closing_balance) == (0, january.balance)
    assert len(activity.rows) == 5


def test_activity_with_the_dates_swapped_and_a_quiet_range(january: Account) -> None:
    swapped = selectors.account_activity(
        january, start=dt.date(2025, 1, 15), end=dt.date(2025, 1, 5)
    )
    quiet = selectors.account_activity(
        january, start=dt.date(2025, 1, 16), end=dt.date(2025, 1, 19)
    )

    assert (swapped.start, swapped.end, len(swapped.rows)) == (
        dt.date(2025, 1, 5),
        dt.date(2025, 1, 15),
        3,
    )
    assert (quiet.opening_balance, quiet.closing_balance, quiet.rows) == (40_00, 40_00, [])


def test_activity_is_in_the_order_events_occurred_not_recorded(january: Account) -> None:
    """A payment recorded today for the 3rd takes its place between the 2nd and the 5th."""
    pay(january, 7_00, occurred_at=_at(3))

    activity = selectors.account_activity(
        january, start=dt.date(2025, 1, 1), end=dt.date(2025, 1, 5)
    )

    assert [(row.amount, row.running_balance) for row in activity.rows] == [
        (-50_00, -50_00),
        (7_00, -43_00),
        (20_00, -23_00),
    ]


def test_balance_series_has_one_point_per_day(january: Account) -> None:
    activity = selectors.account_activity(
        january, start=dt.date(2025, 1, 14), end=dt.date(2025, 1, 16)
    )

    assert selectors.balance_series(activity) == [
        (dt.date(2025, 1, 14), -60_00),
        (dt.date(2025, 1, 15), 40_00),
        (dt.date(2025, 1, 16), 40_00),
    ]


def test_debtors_and_over_limit_are_scoped_to_the_shop(shop: Shop) -> None:
    owing = make_account(shop, credit_limit=10_00)
    charge(owing, 10_00)
    ledger.change_credit_limit(account=owing, credit_limit=5_00, actor=None, idempotency_key=key())
    in_credit = make_account(shop)
    top_up(in_credit, 5_00)
    elsewhere = make_account(make_shop())
    charge(elsewhere, 99_00)

    assert list(selectors.debtors(shop.pk)) == [owing]
    assert list(selectors.over_limit(shop.pk)) == [owing]
    assert selectors.account_for_customer(shop.pk, elsewhere.customer_id) is None
