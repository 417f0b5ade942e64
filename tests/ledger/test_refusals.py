"""Refusals shared by every money-moving service: bad amounts and reused idempotency keys.

Each refusal is asserted with `nothing_written()`: not one row in any ledger table, audit event or
idempotency record, and no cached figure (balance, Debt, Deposit, version) changed.
"""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from ardoise.ledger import services as ledger
from ardoise.ledger.errors import (
    IdempotencyConflict,
    InvalidAmount,
    InvalidCreditLimit,
    LedgerError,
)
from tests.factories import key
from tests.ledger.conftest import Book
from tests.support import nothing_written

# Each operation takes the book, an amount and an idempotency key; all of them are admitted with
# an amount of 1_00 on the book (see conftest.Book).
Operation = Callable[[Book, Any, str], Any]

OPERATIONS: dict[str, Operation] = {
    "post_charge": lambda b, amount, k: ledger.post_charge(
        account=b.account, total=amount, idempotency_key=k, actor=None
    ),
    "post_debit_adjustment": lambda b, amount, k: ledger.post_debit_adjustment(
        account=b.account, amount=amount, reason="late fee", idempotency_key=k, actor=None
    ),
    "record_payment": lambda b, amount, k: ledger.record_payment(
        account=b.account, amount=amount, mode="cheque", idempotency_key=k, actor=None
    ),
    "record_top_up": lambda b, amount, k: ledger.record_top_up(
        account=b.account, amount=amount, mode="transfer", idempotency_key=k, actor=None
    ),
    "post_credit_adjustment": lambda b, amount, k: ledger.post_credit_adjustment(
        account=b.account, amount=amount, reason="goodwill", idempotency_key=k, actor=None
    ),
    "issue_credit_note": lambda b, amount, k: ledger.issue_credit_note(
        charge=b.charge, amount=amount, reason="broken jar", idempotency_key=k, actor=None
    ),
    "allocate": lambda b, amount, k: ledger.allocate(
        credit=b.credit, charge=b.charge, amount=amount, idempotency_key=k, actor=None
    ),
    "unallocate": lambda b, amount, k: ledger.unallocate(
        credit=b.credit, charge=b.charge, amount=amount, idempotency_key=k, actor=None
    ),
}

BAD_AMOUNTS = [0, -1, -10_00, 1.5, 100.0, Decimal("1.00"), "100", True, None]


@pytest.mark.parametrize("value", BAD_AMOUNTS, ids=repr)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_a_bad_amount_is_refused_and_nothing_is_written(
    book: Book, operation: str, value: Any
) -> None:
    with nothing_written(), pytest.raises(InvalidAmount):
        OPERATIONS[operation](book, value, key())


@pytest.mark.parametrize("value", [-1, 1.5, 0.0, Decimal("10"), "10", True])
def test_a_bad_credit_limit_is_refused_and_nothing_is_written(book: Book, value: Any) -> None:
    with nothing_written(), pytest.raises(InvalidCreditLimit):
        ledger.change_credit_limit(
            account=book.account, credit_limit=value, actor=None, idempotency_key=key()
        )


def test_a_float_vat_amount_is_refused(book: Book) -> None:
    with nothing_written(), pytest.raises(InvalidAmount):
        ledger.post_charge(
            account=book.account, total=10_00, vat_amount=1.5, idempotency_key=key(), actor=None
        )


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_same_key_and_request_replay_the_first_result(book: Book, operation: str) -> None:
    same = key()
    first = OPERATIONS[operation](book, 1_00, same)

    with nothing_written():
        again = OPERATIONS[operation](book, 1_00, same)

    assert (type(again), again.pk) == (type(first), first.pk)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_same_key_with_another_amount_is_a_conflict(book: Book, operation: str) -> None:
    same = key()
    OPERATIONS[operation](book, 1_00, same)

    with nothing_written(), pytest.raises(IdempotencyConflict):
        OPERATIONS[operation](book, 2_00, same)


@pytest.mark.parametrize("operation", OPERATIONS)
def test_the_key_of_another_operation_is_a_conflict(book: Book, operation: str) -> None:
    """A key is one request: reusing it for another kind of request is refused."""
    same = key()
    other = "record_top_up" if operation != "record_top_up" else "record_payment"
    OPERATIONS[other](book, 1_00, same)

    with nothing_written(), pytest.raises(IdempotencyConflict):
        OPERATIONS[operation](book, 1_00, same)


def test_the_same_key_for_another_limit_is_a_conflict(book: Book) -> None:
    same = key()
    ledger.change_credit_limit(
        account=book.account, credit_limit=50_00, actor=None, idempotency_key=same
    )

    with nothing_written(), pytest.raises(IdempotencyConflict):
        ledger.change_credit_limit(
            account=book.account, credit_limit=60_00, actor=None, idempotency_key=same
        )


def test_the_same_key_for_another_entry_is_a_conflict(book: Book) -> None:
    same = key()
    ledger.reverse_entry(
        entry=book.credit.entry, reason="bounced", idempotency_key=same, actor=None
    )

    with nothing_written(), pytest.raises(IdempotencyConflict):
        ledger.reverse_entry(
            entry=book.charge.entry, reason="bounced", idempotency_key=same, actor=None
        )


@pytest.mark.parametrize("bad_key", ["", "k" * 121])
def test_a_missing_or_oversized_key_is_refused(book: Book, bad_key: str) -> None:
    with nothing_written(), pytest.raises(LedgerError, match="idempotency key"):
        OPERATIONS["record_payment"](book, 1_00, bad_key)
