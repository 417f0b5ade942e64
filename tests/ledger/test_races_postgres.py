"""A balance can be spent once (DESIGN.md rule 8): real threads, real PostgreSQL transactions.

Each race starts N threads on a barrier, each with its own database connection (closed when the
thread ends), all calling a ledger service on the same account at once. The ledger must admit
exactly what the limit and balance allow, lose nothing, and keep the cached balance equal to the
sum of the postings. A deadlock or a serialisation error would surface as an unexpected error.
"""

import contextlib
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.db.models import Sum

from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import CreditLimitExceeded, NotEnoughToReserve
from ardoise.ledger.models import Account, Charge, Credit, JournalEntry, Posting, Reservation
from tests.factories import key, make_account, make_shop
from tests.ledger.support import charge, pay, top_up

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

THREADS = 16


def race(work: Callable[[int], Any], threads: int = THREADS) -> list[Any]:
    """Run `work(i)` in `threads` threads released together; each result or exception, in order."""
    barrier = threading.Barrier(threads)
    results: list[Any] = [None] * threads

    def run(index: int) -> None:
        try:
            connection.ensure_connection()  # connect first, so the calls themselves collide
            barrier.wait(timeout=30)
            results[index] = work(index)
        except BaseException as error:
            results[index] = error
        finally:
            connection.close()

    workers = [threading.Thread(target=run, args=(index,)) for index in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    assert not any(worker.is_alive() for worker in workers), "a thread is stuck"
    return results


def outcomes(results: list[Any]) -> Counter[str]:
    return Counter(type(result).__name__ for result in results)


def assert_sound(account: Account) -> None:
    account.refresh_from_db()
    posted = Posting.objects.filter(account=account).aggregate(total=Sum("amount"))["total"] or 0
    assert account.balance == posted
    assert account.balance == account.deposit - account.debt
    report = check_ledger()
    assert report.problems == []


def test_charges_against_a_limit_admit_exactly_what_the_limit_allows() -> None:
    account = make_account(make_shop(), credit_limit=100_00)

    def work(index: int) -> Any:
        admitted = []
        for _ in range(2):  # 32 charges of 7 € against a 100 € limit: 14 fit
            with contextlib.suppress(CreditLimitExceeded):
                admitted.append(charge(account, 7_00).pk)
        return admitted

    results = race(work)

    assert outcomes(results) == Counter({"list": THREADS}), results
    assert sum(len(result) for result in results) == 14
    assert Charge.objects.filter(account=account).count() == 14
    account.refresh_from_db()
    assert (account.balance, account.debt, account.version) == (-98_00, 98_00, 14)
    assert_sound(account)


def test_a_positive_balance_is_spent_once() -> None:
    account = make_account(make_shop(), credit_limit=0)
    top_up(account, 50_00)

    results = race(lambda index: charge(account, 5_00))

    assert outcomes(results) == Counter({"Charge": 10, "CreditLimitExceeded": 6}), results
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (0, 0, 0)
    assert_sound(account)


def test_payments_and_charges_together_lose_nothing() -> None:
    """Half the threads pay, half charge: every payment lands, each charge fits when admitted."""
    account = make_account(make_shop(), credit_limit=20_00)

    def work(index: int) -> Any:
        if index % 2:
            return pay(account, 10_00)
        return charge(account, 15_00)

    results = race(work)

    counts = outcomes(results)
    assert counts["Credit"] == 8
    assert counts["Charge"] + counts["CreditLimitExceeded"] == 8
    account.refresh_from_db()
    assert account.balance == 80_00 - counts["Charge"] * 15_00
    assert_sound(account)


def test_concurrent_retries_of_one_key_post_once() -> None:
    account = make_account(make_shop(), credit_limit=100_00)
    same = key()

    results = race(lambda index: charge(account, 12_00, idempotency_key=same))

    assert outcomes(results) == Counter({"Charge": THREADS}), results
    assert len({result.pk for result in results}) == 1
    assert Charge.objects.filter(account=account).count() == 1
    assert Posting.objects.filter(account=account).count() == 1
    assert_sound(account)


def test_concurrent_payments_with_one_key_record_one_payment() -> None:
    account = make_account(make_shop())
    charge(account, 30_00)
    same = key()

    results = race(lambda index: pay(account, 30_00, mode="online", idempotency_key=same))

    assert outcomes(results) == Counter({"Credit": THREADS}), results
    assert Credit.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (0, 0, 0)
    assert_sound(account)


def test_concurrent_reversals_of_one_entry_reverse_it_once() -> None:
    account = make_account(make_shop())
    payment = pay(account, 40_00)

    results = race(
        lambda index: ledger.reverse_entry(
            entry=payment.entry, reason="bounced", idempotency_key=key(), actor=None
        )
    )

    assert outcomes(results) == Counter({"JournalEntry": 1, "AlreadyReversed": 15}), results
    assert JournalEntry.objects.filter(reverses=payment.entry).count() == 1
    account.refresh_from_db()
    assert account.balance == 0
    assert_sound(account)


def test_concurrent_credit_notes_never_refund_more_than_the_sale() -> None:
    account = make_account(make_shop())
    sale = charge(account, 100_00, vat_amount=16_67)

    results = race(
        lambda index: ledger.issue_credit_note(
            charge=sale, amount=10_00, reason="returned", idempotency_key=key(), actor=None
        )
    )

    assert outcomes(results) == Counter({"Credit": 10, "CreditNoteTooLarge": 6}), results
    sale.refresh_from_db()
    assert (sale.credited_amount, sale.credited_vat_amount, sale.open_amount) == (100_00, 16_67, 0)
    assert_sound(account)


def test_concurrent_allocations_never_apply_a_credit_twice() -> None:
    shop = make_shop(auto_allocate=False)
    account = make_account(shop)
    sales = [charge(account, 10_00) for _ in range(THREADS)]
    payment = pay(account, 55_00)

    results = race(
        lambda index: ledger.allocate(
            credit=payment, charge=sales[index], amount=10_00, idempotency_key=key(), actor=None
        )
    )

    assert outcomes(results) == Counter({"Allocation": 5, "InvalidAllocation": 11}), results
    payment.refresh_from_db()
    assert payment.unapplied_amount == 5_00
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit) == (-105_00, 110_00, 5_00)
    assert_sound(account)


def test_concurrent_reserves_admit_exactly_what_the_positive_balance_covers() -> None:
    account = make_account(make_shop(), credit_limit=0)
    top_up(account, 50_00)

    results = race(
        lambda index: ledger.reserve(
            account=account, amount=7_00, reference=f"order:{index}", floor=0
        )
    )

    assert outcomes(results) == Counter({"Reservation": 7, "NotEnoughToReserve": 9}), results
    account.refresh_from_db()
    assert (account.balance, account.reserved) == (50_00, 49_00)
    assert Reservation.objects.filter(account=account, status="held").count() == 7
    assert_sound(account)


def test_charges_and_reserves_against_one_limit_admit_exactly_the_limit() -> None:
    """Half the threads charge, half reserve, 10 € each, twice, against a 100 € limit: ten of
    the 32 fit, whichever they are, and what is charged plus what is held is the limit."""
    account = make_account(make_shop(), credit_limit=100_00)

    def work(index: int) -> Any:
        admitted = 0
        for attempt in range(2):
            with contextlib.suppress(CreditLimitExceeded, NotEnoughToReserve):
                if index % 2:
                    ledger.reserve(account=account, amount=10_00, reference=f"o:{index}:{attempt}")
                else:
                    charge(account, 10_00)
                admitted += 1
        return admitted

    results = race(work)

    assert sum(results) == 10, results
    account.refresh_from_db()
    assert -account.balance + account.reserved == 100_00
    assert account.reserved == 10_00 * Reservation.objects.filter(account=account).count()
    assert_sound(account)
