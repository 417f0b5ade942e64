"""Reservations: what an online order holds of what a customer can spend (ledger side)."""

import pytest

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import (
    CreditLimitExceeded,
    InvalidAmount,
    NotEnoughToReserve,
    ReservationConflict,
)
from ardoise.ledger.models import Account, JournalEntry, Reservation, ReservationStatus
from ardoise.ledger.selectors import held_reservations, spendable
from ardoise.shops.models import Shop
from tests.factories import make_account
from tests.ledger.support import charge, figures, top_up
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def test_a_reservation_holds_without_posting(account: Account) -> None:
    top_up(account, 50_00)
    entries = JournalEntry.objects.count()

    held = ledger.reserve(account=account, amount=20_00, reference="order:1")

    account.refresh_from_db()
    assert (held.amount, held.status, held.reference) == (20_00, ReservationStatus.HELD, "order:1")
    assert figures(account) == (50_00, 0, 50_00)
    assert account.reserved == 20_00
    assert JournalEntry.objects.count() == entries
    assert spendable(account) == 50_00 + 100_00 - 20_00
    assert list(held_reservations(account)) == [held]
    assert AuditEvent.objects.filter(action="ledger.reservation.held").count() == 1
    assert check_ledger().problems == []


def test_reserving_again_with_the_same_reference_gives_the_held_row(account: Account) -> None:
    first = ledger.reserve(account=account, amount=20_00, reference="order:1")

    with nothing_written():
        again = ledger.reserve(account=account, amount=20_00, reference="order:1")

    assert again.pk == first.pk
    account.refresh_from_db()
    assert account.reserved == 20_00


def test_another_amount_for_a_held_reference_is_refused(account: Account) -> None:
    ledger.reserve(account=account, amount=20_00, reference="order:1")

    with nothing_written(), pytest.raises(ReservationConflict):
        ledger.reserve(account=account, amount=21_00, reference="order:1")


def test_the_limit_guard_refuses_beyond_the_limit(account: Account) -> None:
    ledger.reserve(account=account, amount=60_00, reference="order:1")

    with nothing_written(), pytest.raises(NotEnoughToReserve):
        ledger.reserve(account=account, amount=40_01, reference="order:2")

    ledger.reserve(account=account, amount=40_00, reference="order:2")
    account.refresh_from_db()
    assert (account.reserved, spendable(account)) == (100_00, 0)


def test_floor_zero_uses_only_the_positive_balance(account: Account) -> None:
    top_up(account, 5_00)

    with nothing_written(), pytest.raises(NotEnoughToReserve):
        ledger.reserve(account=account, amount=5_01, reference="order:1", floor=0)

    ledger.reserve(account=account, amount=5_00, reference="order:1", floor=0)
    account.refresh_from_db()
    assert account.reserved == 5_00


def test_no_floor_reserves_whatever_the_balance(shop: Shop) -> None:
    account = make_account(shop, credit_limit=0)

    ledger.reserve(account=account, amount=20_00, reference="order:1", floor=None)

    account.refresh_from_db()
    assert (account.balance, account.reserved) == (0, 20_00)
    assert spendable(account) == 0  # clamped for display


def test_an_account_without_limit_reserves_within_its_limit_always(shop: Shop) -> None:
    account = make_account(shop, credit_limit=None)

    ledger.reserve(account=account, amount=900_00, reference="order:1")

    account.refresh_from_db()
    assert (account.reserved, spendable(account)) == (900_00, None)


@pytest.mark.parametrize("amount", [0, -1, 1.5, "3"])
def test_a_bad_amount_is_refused(account: Account, amount: object) -> None:
    with nothing_written(), pytest.raises(InvalidAmount):
        ledger.reserve(account=account, amount=amount, reference="order:1")  # type: ignore[arg-type]


def test_a_charge_cannot_spend_what_is_reserved(account: Account) -> None:
    top_up(account, 50_00)
    ledger.reserve(account=account, amount=50_00, reference="order:1")

    with nothing_written(), pytest.raises(CreditLimitExceeded) as refused:
        charge(account, 100_01)

    assert refused.value.available == 100_00
    assert "100,00" in str(refused.value) or "100.00" in str(refused.value)
    charge(account, 100_00)
    account.refresh_from_db()
    assert (account.balance, account.reserved, spendable(account)) == (-50_00, 50_00, 0)


def test_release_gives_it_back_once(account: Account) -> None:
    ledger.reserve(account=account, amount=30_00, reference="order:1")

    released = ledger.release(account=account, reference="order:1")

    account.refresh_from_db()
    assert released is not None
    assert released.status == ReservationStatus.RELEASED
    assert released.closed_at is not None
    assert account.reserved == 0
    with nothing_written():
        assert ledger.release(account=account, reference="order:1") is None
        assert ledger.consume(account=account, reference="order:1") is None
    assert AuditEvent.objects.filter(action="ledger.reservation.released").count() == 1


def test_consume_then_charge_keeps_what_is_spendable(account: Account) -> None:
    top_up(account, 50_00)
    ledger.reserve(account=account, amount=20_00, reference="order:7")
    account.refresh_from_db()
    before = spendable(account)

    consumed = ledger.consume(account=account, reference="order:7")
    charge(account, 20_00, earmark="order:7")

    account.refresh_from_db()
    assert consumed is not None
    assert consumed.status == ReservationStatus.CONSUMED
    assert (account.balance, account.reserved) == (30_00, 0)
    assert spendable(account) == before
    assert check_ledger().problems == []


def test_a_reference_may_be_held_again_once_released(account: Account) -> None:
    ledger.reserve(account=account, amount=5_00, reference="order:1")
    ledger.release(account=account, reference="order:1")

    ledger.reserve(account=account, amount=20_00, reference="order:1", floor=None)

    assert Reservation.objects.filter(reference="order:1").count() == 2
    account.refresh_from_db()
    assert account.reserved == 20_00


def test_ledger_check_finds_a_reserved_figure_that_does_not_add_up(account: Account) -> None:
    ledger.reserve(account=account, amount=5_00, reference="order:1")
    Account.objects.filter(pk=account.pk).update(reserved=7_00)

    assert check_ledger().problems == [
        f"account {account.pk}: reserved 700 vs held reservations 500"
    ]


def test_ledger_check_finds_a_reservation_left_held_on_a_posted_charge(account: Account) -> None:
    held = ledger.reserve(account=account, amount=5_00, reference="order:1")
    charge(account, 5_00, earmark="order:1")

    assert check_ledger().problems == [
        f"reservation {held.pk} (order:1) is still held on account {account.pk}, "
        "whose charge for it is posted"
    ]
