"""allocate, unallocate and reverse_entry, with every refusal leaving nothing behind."""

import pytest

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import (
    AlreadyReversed,
    InvalidAllocation,
    NotReversible,
    ReasonRequired,
)
from ardoise.ledger.models import (
    Account,
    Allocation,
    ChargeStatus,
    CreditStatus,
    EntryKind,
    JournalEntry,
)
from tests.factories import key, make_account
from tests.ledger.conftest import Book
from tests.ledger.support import charge, figures, pay, posted_sum
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


# --- allocate -----------------------------------------------------------------------------------


def test_the_book_starts_with_debt_and_deposit_side_by_side(book: Book) -> None:
    assert (book.charge.open_amount, book.charge.status) == (50_00, ChargeStatus.PARTIALLY_PAID)
    assert book.credit.unapplied_amount == 20_00
    assert figures(book.account) == (-30_00, 50_00, 20_00)


def test_allocate_lowers_debt_and_deposit_together(book: Book) -> None:
    row = ledger.allocate(
        credit=book.credit, charge=book.charge, amount=15_00, idempotency_key=key(), actor=None
    )

    assert (row.credit_id, row.charge_id, row.amount) == (book.credit.pk, book.charge.pk, 15_00)
    book.charge.refresh_from_db()
    book.credit.refresh_from_db()
    assert (book.charge.open_amount, book.credit.unapplied_amount) == (35_00, 5_00)
    assert figures(book.account) == (-30_00, 35_00, 5_00)
    # Allocation moves no money: no journal entry, the version stays.
    assert book.account.version == 2
    event = AuditEvent.objects.get(action="ledger.allocation.created", object_id=row.pk)
    assert event.data == {"credit": book.credit.pk, "charge": book.charge.pk, "amount": 15_00}


def test_allocating_the_whole_credit_pays_the_charge(book: Book) -> None:
    payment = pay(book.account, 30_00)

    ledger.allocate(
        credit=payment, charge=book.charge, amount=30_00, idempotency_key=key(), actor=None
    )
    ledger.allocate(
        credit=book.credit, charge=book.charge, amount=20_00, idempotency_key=key(), actor=None
    )

    book.charge.refresh_from_db()
    assert (book.charge.open_amount, book.charge.status) == (0, ChargeStatus.PAID)
    assert figures(book.account) == (0, 0, 0)


def test_allocating_more_than_the_charge_owes_is_refused(book: Book) -> None:
    pay(book.account, 100_00)
    big = pay(book.account, 100_00)

    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.allocate(
            credit=big, charge=book.charge, amount=50_01, idempotency_key=key(), actor=None
        )


def test_allocating_more_than_the_credit_has_left_is_refused(book: Book) -> None:
    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.allocate(
            credit=book.credit,
            charge=book.charge,
            amount=20_01,
            idempotency_key=key(),
            actor=None,
        )


def test_allocating_to_a_charge_of_another_account_is_refused(book: Book) -> None:
    other = make_account(book.shop)
    foreign = charge(other, 10_00)

    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.allocate(
            credit=book.credit, charge=foreign, amount=1_00, idempotency_key=key(), actor=None
        )


def test_allocating_a_reversed_credit_or_to_a_reversed_charge_is_refused(book: Book) -> None:
    payment = pay(book.account, 10_00)
    sale = charge(book.account, 10_00)
    ledger.reverse_entry(entry=payment.entry, reason="bounced", idempotency_key=key(), actor=None)
    ledger.reverse_entry(entry=sale.entry, reason="typo", idempotency_key=key(), actor=None)
    payment.refresh_from_db()
    sale.refresh_from_db()
    assert (payment.status, sale.status) == (CreditStatus.VOID, ChargeStatus.VOID)

    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.allocate(
            credit=payment, charge=book.charge, amount=1_00, idempotency_key=key(), actor=None
        )
    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.allocate(
            credit=book.credit, charge=sale, amount=1_00, idempotency_key=key(), actor=None
        )


# --- unallocate ---------------------------------------------------------------------------------


def test_unallocate_writes_a_negative_row_and_reopens_the_charge(book: Book) -> None:
    row = ledger.unallocate(
        credit=book.credit, charge=book.charge, amount=10_00, idempotency_key=key(), actor=None
    )

    assert row.amount == -10_00
    assert Allocation.objects.filter(charge=book.charge).count() == 2  # history is kept
    book.charge.refresh_from_db()
    book.credit.refresh_from_db()
    assert (book.charge.open_amount, book.charge.status) == (60_00, ChargeStatus.OPEN)
    assert book.credit.unapplied_amount == 30_00
    assert figures(book.account) == (-30_00, 60_00, 30_00)
    assert AuditEvent.objects.filter(action="ledger.allocation.released").count() == 1
    assert check_ledger().problems == []


def test_unallocating_more_than_was_allocated_is_refused(book: Book) -> None:
    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.unallocate(
            credit=book.credit,
            charge=book.charge,
            amount=10_01,
            idempotency_key=key(),
            actor=None,
        )


def test_unallocating_a_pair_that_was_never_allocated_is_refused(book: Book) -> None:
    other = pay(book.account, 5_00)

    with nothing_written(), pytest.raises(InvalidAllocation):
        ledger.unallocate(
            credit=other, charge=book.charge, amount=1, idempotency_key=key(), actor=None
        )


# --- reverse_entry ------------------------------------------------------------------------------


def test_reversing_a_sale_mirrors_it_voids_it_and_frees_its_payments(book: Book) -> None:
    original = sorted(book.charge.entry.postings.values_list("counter", "amount"))

    reversal = ledger.reverse_entry(
        entry=book.charge.entry, reason="wrong customer", idempotency_key=key(), actor=None
    )

    assert (reversal.kind, reversal.reverses_id, reversal.reason) == (
        EntryKind.REVERSAL,
        book.charge.entry_id,
        "wrong customer",
    )
    mirrored = sorted(reversal.postings.values_list("counter", "amount"))
    assert mirrored == sorted((counter, -amount) for counter, amount in original)
    book.charge.refresh_from_db()
    book.credit.refresh_from_db()
    assert (book.charge.status, book.charge.open_amount) == (ChargeStatus.VOID, 0)
    assert book.credit.unapplied_amount == 30_00
    assert figures(book.account) == (30_00, 0, 30_00)
    assert posted_sum(book.account) == 30_00
    event = AuditEvent.objects.get(action="ledger.entry.reversed")
    assert event.data == {"reversal": reversal.pk, "reason": "wrong customer", "amount": 60_00}
    assert check_ledger().problems == []


def test_reversing_a_payment_may_go_beyond_the_limit(book: Book) -> None:
    """A bounced cheque must be undone even when the customer is then over the limit."""
    cheque = pay(book.account, 60_00, mode="cheque")
    charge(book.account, 100_00)
    assert figures(book.account) == (-70_00, 150_00, 80_00)

    ledger.reverse_entry(entry=cheque.entry, reason="bounced", idempotency_key=key(), actor=None)

    assert figures(book.account) == (-130_00, 150_00, 20_00)
    book.account.refresh_from_db()
    assert book.account.is_over_limit is True
    assert check_ledger().problems == []


def test_reversing_a_credit_note_makes_the_sale_creditable_again(book: Book) -> None:
    note = ledger.issue_credit_note(
        charge=book.charge, amount=20_00, reason="returned", idempotency_key=key(), actor=None
    )
    book.charge.refresh_from_db()
    assert (book.charge.creditable_amount, book.charge.open_amount) == (40_00, 30_00)

    ledger.reverse_entry(entry=note.entry, reason="not returned", idempotency_key=key(), actor=None)

    book.charge.refresh_from_db()
    note.refresh_from_db()
    assert (book.charge.creditable_amount, book.charge.credited_vat_amount) == (60_00, 0)
    assert (book.charge.open_amount, note.status) == (50_00, CreditStatus.VOID)
    assert figures(book.account) == (-30_00, 50_00, 20_00)
    assert check_ledger().problems == []


def test_a_second_reversal_is_refused(book: Book) -> None:
    ledger.reverse_entry(entry=book.credit.entry, reason="x", idempotency_key=key(), actor=None)

    with nothing_written(), pytest.raises(AlreadyReversed):
        ledger.reverse_entry(entry=book.credit.entry, reason="x", idempotency_key=key(), actor=None)


def test_a_reversal_is_not_reversible(book: Book) -> None:
    reversal = ledger.reverse_entry(
        entry=book.credit.entry, reason="x", idempotency_key=key(), actor=None
    )

    with nothing_written(), pytest.raises(NotReversible):
        ledger.reverse_entry(entry=reversal, reason="x", idempotency_key=key(), actor=None)


def test_a_sale_with_a_credit_note_is_reversed_only_after_the_note(book: Book) -> None:
    note = ledger.issue_credit_note(
        charge=book.charge, amount=5_00, reason="x", idempotency_key=key(), actor=None
    )

    with nothing_written(), pytest.raises(NotReversible):
        ledger.reverse_entry(entry=book.charge.entry, reason="x", idempotency_key=key(), actor=None)

    ledger.reverse_entry(entry=note.entry, reason="x", idempotency_key=key(), actor=None)
    ledger.reverse_entry(entry=book.charge.entry, reason="x", idempotency_key=key(), actor=None)
    assert figures(book.account) == (30_00, 0, 30_00)
    assert check_ledger().problems == []


@pytest.mark.parametrize("reason", ["", "  "])
def test_a_reversal_without_a_reason_is_refused(book: Book, reason: str) -> None:
    with nothing_written(), pytest.raises(ReasonRequired):
        ledger.reverse_entry(
            entry=book.charge.entry, reason=reason, idempotency_key=key(), actor=None
        )


def test_a_replayed_reversal_returns_the_first_one(book: Book) -> None:
    same = key()
    first = ledger.reverse_entry(
        entry=book.credit.entry, reason="x", idempotency_key=same, actor=None
    )

    with nothing_written():
        again = ledger.reverse_entry(
            entry=book.credit.entry, reason="x", idempotency_key=same, actor=None
        )

    assert again.pk == first.pk
    assert JournalEntry.objects.filter(reverses=book.credit.entry).count() == 1


def test_a_reversed_payment_frees_the_charges_it_settled(account: Account) -> None:
    sale = charge(account, 40_00)
    payment = pay(account, 40_00)
    sale.refresh_from_db()
    assert sale.status == ChargeStatus.PAID

    ledger.reverse_entry(entry=payment.entry, reason="bounced", idempotency_key=key(), actor=None)

    sale.refresh_from_db()
    assert (sale.status, sale.open_amount) == (ChargeStatus.OPEN, 40_00)
    assert figures(account) == (-40_00, 40_00, 0)
    assert check_ledger().problems == []
