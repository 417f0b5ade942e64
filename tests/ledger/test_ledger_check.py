"""`manage.py ledger_check`: exit 0 and one line when every invariant holds, exit 1 and a readable
list of problems when the data was corrupted on purpose (DESIGN.md rule 4)."""

from collections.abc import Callable

import pytest
from django.core.management import ManagementUtility
from django.db import connection, connections
from django.utils import timezone

from ardoise.ledger import services as ledger
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeKind,
    EntryKind,
    JournalEntry,
    Posting,
)
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.ledger.conftest import Book
from tests.ledger.support import charge, pay

pytestmark = pytest.mark.django_db

RunCheck = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run_check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunCheck:
    """Run `manage.py ledger_check ARGS` as the shell does; return (exit code, stdout, stderr).

    The command runs through Django's real entry point, which turns a CommandError into an exit
    code. That entry point closes every connection at the end, which would drop the test's
    transaction (and an in-memory SQLite database): that one call is neutralised.
    """
    monkeypatch.setattr(connections, "close_all", lambda: None)

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        try:
            ManagementUtility(["manage.py", "ledger_check", *args]).execute()
            code = 0
        except SystemExit as exit_:
            code = int(exit_.code or 0)
        out, err = capsys.readouterr()
        return code, out, err

    return run


def _sql(statement: str, params: list[object]) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def _busy_shop(book: Book) -> None:
    """Sales, payments, a credit note, an override and reversals: everything holds."""
    ledger.issue_credit_note(
        charge=book.charge, amount=6_00, reason="x", idempotency_key=key(), actor=None
    )
    payment = pay(book.account, 25_00)
    ledger.reverse_entry(entry=payment.entry, reason="x", idempotency_key=key(), actor=None)
    sale = charge(book.account, 5_00)
    ledger.reverse_entry(entry=sale.entry, reason="x", idempotency_key=key(), actor=None)


def test_a_sound_ledger_exits_0_with_a_one_line_summary(book: Book, run_check: RunCheck) -> None:
    _busy_shop(book)

    code, out, err = run_check()

    entries = JournalEntry.objects.count()
    postings = Posting.objects.count()
    accounts = Account.objects.count()
    assert (code, err) == (0, "")
    assert out == f"ledger OK: {entries} entries, {postings} postings, {accounts} accounts\n"


def test_a_changed_cached_balance_is_reported(book: Book, run_check: RunCheck) -> None:
    # The account row is not append-only; keep balance = deposit - debt so the row is accepted.
    _sql(
        "UPDATE ledger_account SET balance = balance + 1, deposit = deposit + 1 WHERE id = %s",
        [book.account.pk],
    )

    code, out, err = run_check()

    assert (code, out) == (1, "")
    assert err.splitlines() == [
        f"- account {book.account.pk}: balance -2999 vs postings -3000, "
        "debt 5000 vs open charges 5000, deposit 2001 vs unapplied credits 2000",
        "CommandError: 1 problem(s): 2 entries, 5 postings, 1 accounts",
    ]


def test_an_unbalanced_entry_inserted_by_hand_is_reported(book: Book, run_check: RunCheck) -> None:
    now = timezone.now()
    [(entry_id,)] = _sql(
        "INSERT INTO ledger_journal_entry (shop_id, kind, occurred_at, recorded_at, memo, reason)"
        " VALUES (%s, %s, %s, %s, '', '') RETURNING id",
        [book.shop.pk, EntryKind.SALE, now, now],
    )
    for counter, amount in (("sales", 10_00), ("vat", 1_00)):
        _sql(
            "INSERT INTO ledger_posting (shop_id, entry_id, counter, amount, occurred_at)"
            " VALUES (%s, %s, %s, %s, %s)",
            [book.shop.pk, entry_id, counter, amount, now],
        )

    code, _, err = run_check()

    assert code == 1
    assert f"- journal entry {entry_id}: 2 postings summing to 1100" in err.splitlines()
    assert "1 problem(s)" in err


def test_a_breach_of_the_limit_without_an_override_is_reported(
    book: Book,
    run_check: RunCheck,
) -> None:
    """As if some code had skipped the guard: a sale of 80 € on a 100 € limit owing 30 €."""
    now = timezone.now()
    entry = JournalEntry.objects.create(shop=book.shop, kind=EntryKind.SALE, occurred_at=now)
    posting = Posting.objects.create(
        shop=book.shop,
        entry=entry,
        account=book.account,
        amount=-80_00,
        balance_after=-110_00,
        credit_limit=100_00,
        occurred_at=now,
    )
    Posting.objects.create(
        shop=book.shop, entry=entry, counter="sales", amount=80_00, occurred_at=now
    )
    Charge.objects.create(
        shop=book.shop,
        account=book.account,
        entry=entry,
        kind=ChargeKind.INVOICE,
        issued_on=now.date(),
        net_amount=80_00,
        total=80_00,
        open_amount=80_00,
    )
    _sql(
        "UPDATE ledger_account SET balance = balance - 8000, debt = debt + 8000 WHERE id = %s",
        [book.account.pk],
    )

    code, _, err = run_check()

    assert code == 1
    assert err.splitlines()[:-1] == [
        f"- posting {posting.pk} (entry {entry.pk}) took account {book.account.pk} to -11000, "
        "beyond its limit 10000, without an override"
    ]


def test_an_allocation_over_the_open_amount_is_reported(book: Book, run_check: RunCheck) -> None:
    extra = Allocation.objects.create(
        shop=book.shop, credit=book.credit, charge=book.charge, amount=55_00
    )

    code, _, err = run_check()

    assert code == 1
    assert err.splitlines()[:-1] == [
        f"- charge {book.charge.pk} (partially_paid): total 6000, open 5000, allocated 6500",
        f"- credit {book.credit.pk} (active): amount 3000, unapplied 2000, allocated 6500",
    ]
    assert Allocation.objects.get(pk=extra.pk).amount == 55_00


def test_an_allocation_across_two_accounts_is_reported(book: Book, run_check: RunCheck) -> None:
    other = make_account(book.shop)
    foreign = charge(other, 10_00)
    row = Allocation.objects.create(shop=book.shop, credit=book.credit, charge=foreign, amount=1)

    code, _, err = run_check()

    assert code == 1
    assert (
        f"- allocation {row.pk} links credit {book.credit.pk} of account {book.account.pk} "
        f"to charge {foreign.pk} of account {other.pk}"
    ) in err.splitlines()


def test_a_posting_with_a_wrong_balance_after_is_reported(book: Book, run_check: RunCheck) -> None:
    """Two postings claiming the same balance after them: the sign of a lost update."""
    now = timezone.now()
    entry = JournalEntry.objects.create(shop=book.shop, kind=EntryKind.TOP_UP, occurred_at=now)
    posting = Posting.objects.create(
        shop=book.shop,
        entry=entry,
        account=book.account,
        amount=1_00,
        balance_after=-30_00,
        occurred_at=now,
    )
    Posting.objects.create(
        shop=book.shop, entry=entry, counter="mode:cash", amount=-1_00, occurred_at=now
    )
    _sql(
        "UPDATE ledger_account SET balance = balance + 100, debt = debt - 100 WHERE id = %s",
        [book.account.pk],
    )

    code, _, err = run_check()

    assert code == 1
    assert (
        f"- posting {posting.pk} (entry {entry.pk}) on account {book.account.pk} says the "
        "balance after it is -3000, the postings up to it sum to -2900"
    ) in err.splitlines()


def test_a_reversal_pointing_nowhere_is_reported(book: Book, run_check: RunCheck) -> None:
    now = timezone.now()
    entry = JournalEntry.objects.create(shop=book.shop, kind=EntryKind.REVERSAL, occurred_at=now)
    Posting.objects.bulk_create(
        [
            Posting(shop=book.shop, entry=entry, counter="sales", amount=1, occurred_at=now),
            Posting(shop=book.shop, entry=entry, counter="vat", amount=-1, occurred_at=now),
        ]
    )

    code, _, err = run_check()

    assert code == 1
    assert err.splitlines()[:-1] == [
        f"- reversal {entry.pk} does not point at the entry it reverses"
    ]


def test_the_shop_option_checks_one_shop_only(book: Book, run_check: RunCheck) -> None:
    healthy: Shop = make_shop()
    charge(make_account(healthy), 10_00)
    _sql(
        "UPDATE ledger_account SET balance = balance + 1, deposit = deposit + 1 WHERE id = %s",
        [book.account.pk],
    )

    assert run_check("--shop", str(healthy.pk)) == (
        0,
        "ledger OK: 1 entries, 2 postings, 1 accounts\n",
        "",
    )
    assert run_check("--shop", str(book.shop.pk))[0] == 1
