"""record_payment, record_top_up, post_credit_adjustment, issue_credit_note; automatic and
explicit allocation; earmarked deposits."""

import pytest

from ardoise.audit.models import AuditEvent
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import (
    CreditNoteTooLarge,
    InvalidAmount,
    InvalidPaymentMode,
    ReasonRequired,
    RefundMustGoToAccount,
)
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    CreditKind,
    EntryKind,
)
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.ledger.support import charge, figures, pay, top_up
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _open(*charges: Charge) -> list[tuple[int, str]]:
    for row in charges:
        row.refresh_from_db()
    return [(row.open_amount, row.status) for row in charges]


# --- record_payment -----------------------------------------------------------------------------


def test_a_payment_settles_the_oldest_charges_first(account: Account) -> None:
    newer = charge(account, 20_00, day=5)
    older = charge(account, 30_00, day=2)

    payment = pay(account, 40_00, mode="cheque", reference="CHQ 123")

    assert (payment.kind, payment.mode, payment.amount, payment.unapplied_amount) == (
        CreditKind.PAYMENT,
        "cheque",
        40_00,
        0,
    )
    assert _open(older, newer) == [(0, ChargeStatus.PAID), (10_00, ChargeStatus.PARTIALLY_PAID)]
    assert sorted(payment.entry.postings.values_list("counter", "amount", "balance_after")) == [
        ("", 40_00, -10_00),
        ("mode:cheque", -40_00, None),
    ]
    assert payment.entry.kind == EntryKind.PAYMENT
    assert figures(account) == (-10_00, 10_00, 0)
    event = AuditEvent.objects.get(action="ledger.payment.recorded")
    assert event.data == {"amount": 40_00, "mode": "cheque", "balance_after": -10_00}


def test_an_overpayment_becomes_a_deposit(account: Account) -> None:
    sale = charge(account, 25_00)

    payment = pay(account, 40_00)

    assert _open(sale) == [(0, ChargeStatus.PAID)]
    assert payment.unapplied_amount == 15_00
    assert figures(account) == (15_00, 0, 15_00)


def test_without_automatic_allocation_debt_and_deposit_stay_side_by_side() -> None:
    shop = make_shop(auto_allocate=False)
    account = make_account(shop)
    sale = charge(account, 25_00)

    payment = pay(account, 40_00)

    assert _open(sale) == [(25_00, ChargeStatus.OPEN)]
    assert payment.unapplied_amount == 40_00
    assert figures(account) == (15_00, 25_00, 40_00)
    assert Allocation.objects.count() == 0


def test_a_deposit_is_spent_by_the_next_sale_when_credits_apply_automatically(
    account: Account,
) -> None:
    deposit = top_up(account, 50_00)

    sale = charge(account, 20_00)

    deposit.refresh_from_db()
    assert (sale.open_amount, sale.status, deposit.unapplied_amount) == (
        0,
        ChargeStatus.PAID,
        30_00,
    )
    assert figures(account) == (30_00, 0, 30_00)


@pytest.mark.parametrize("mode", ["", "account", "bad mode", "x" * 31, "drop;table"])
def test_a_bad_payment_mode_is_refused(account: Account, mode: str) -> None:
    with nothing_written(), pytest.raises(InvalidPaymentMode):
        pay(account, 10_00, mode=mode)


def test_a_shop_payment_mode_of_its_own_is_accepted(account: Account) -> None:
    payment = pay(account, 10_00, mode="meal_voucher")

    assert payment.entry.postings.get(account=None).counter == "mode:meal_voucher"


# --- record_top_up and earmarks -----------------------------------------------------------------


def test_an_earmarked_deposit_waits_for_its_order_even_with_automatic_allocation(
    account: Account,
) -> None:
    older = charge(account, 10_00, day=1)

    deposit = top_up(account, 30_00, earmark="order:42")

    assert deposit.unapplied_amount == 30_00
    assert figures(account) == (20_00, 10_00, 30_00)

    order = charge(account, 25_00, day=9, earmark="order:42")

    # The order is settled first, although it is the newer charge; the 5 € left is then an
    # ordinary credit and goes to the oldest open charge.
    deposit.refresh_from_db()
    assert _open(older, order) == [(5_00, ChargeStatus.PARTIALLY_PAID), (0, ChargeStatus.PAID)]
    assert deposit.unapplied_amount == 0
    assert figures(account) == (-5_00, 5_00, 0)


def test_an_earmarked_deposit_settles_its_charge_when_the_shop_does_not_allocate() -> None:
    shop = make_shop(auto_allocate=False)
    account = make_account(shop)
    sale = charge(account, 25_00)
    other = charge(account, 10_00)

    deposit = top_up(account, 40_00, earmark=f"charge:{sale.pk}")

    assert _open(sale, other) == [(0, ChargeStatus.PAID), (10_00, ChargeStatus.OPEN)]
    assert deposit.unapplied_amount == 15_00
    assert figures(account) == (5_00, 10_00, 15_00)


def test_what_is_left_of_a_settled_earmark_goes_to_the_oldest_charge(account: Account) -> None:
    deposit = top_up(account, 30_00, earmark="order:7")
    order = charge(account, 20_00, day=3, earmark="order:7")
    deposit.refresh_from_db()
    assert (deposit.unapplied_amount, order.status) == (10_00, ChargeStatus.PAID)

    later = charge(account, 50_00, day=4)

    deposit.refresh_from_db()
    assert deposit.unapplied_amount == 0
    assert _open(later) == [(40_00, ChargeStatus.PARTIALLY_PAID)]


# --- post_credit_adjustment ---------------------------------------------------------------------


def test_a_credit_adjustment_posts_to_adjustments_with_its_reason(account: Account) -> None:
    sale = charge(account, 10_00)

    credit = ledger.post_credit_adjustment(
        account=account, amount=4_00, reason="goodwill", idempotency_key=key(), actor=None
    )

    assert (credit.kind, credit.reason, credit.unapplied_amount) == (
        CreditKind.ADJUSTMENT,
        "goodwill",
        0,
    )
    assert credit.entry.kind == EntryKind.CREDIT_ADJUSTMENT
    assert sorted(credit.entry.postings.values_list("counter", "amount")) == [
        ("", 4_00),
        ("adjustments", -4_00),
    ]
    assert _open(sale) == [(6_00, ChargeStatus.PARTIALLY_PAID)]


@pytest.mark.parametrize("reason", ["", " \n "])
def test_a_credit_adjustment_without_a_reason_is_refused(account: Account, reason: str) -> None:
    with nothing_written(), pytest.raises(ReasonRequired):
        ledger.post_credit_adjustment(
            account=account, amount=4_00, reason=reason, idempotency_key=key(), actor=None
        )


# --- issue_credit_note --------------------------------------------------------------------------


def test_a_credit_note_of_a_paid_sale_goes_back_to_the_account(shop: Shop) -> None:
    account = make_account(shop)
    sale = charge(account, 120_00, vat_amount=20_00)
    pay(account, 120_00)

    note = ledger.issue_credit_note(
        charge=sale, amount=60_00, reason="half returned", idempotency_key=key(), actor=None
    )

    assert (note.kind, note.amount, note.unapplied_amount, note.payout_amount) == (
        CreditKind.CREDIT_NOTE,
        60_00,
        60_00,
        0,
    )
    assert (note.vat_amount, note.against_charge_id, note.mode) == (10_00, sale.pk, "account")
    assert sorted(note.entry.postings.values_list("counter", "amount")) == [
        ("", 60_00),
        ("sales", -50_00),
        ("vat", -10_00),
    ]
    sale.refresh_from_db()
    assert (sale.credited_amount, sale.credited_vat_amount, sale.creditable_amount) == (
        60_00,
        10_00,
        60_00,
    )
    assert figures(account) == (60_00, 0, 60_00)


def test_a_refund_of_an_unpaid_sale_must_go_back_to_the_account(account: Account) -> None:
    sale = charge(account, 50_00)

    with nothing_written(), pytest.raises(RefundMustGoToAccount):
        ledger.issue_credit_note(
            charge=sale,
            amount=20_00,
            reason="returned",
            refund_mode="cash",
            to_account=0,
            idempotency_key=key(),
            actor=None,
        )

    # By default the unpaid part goes to the account and cancels what is owed: no cash leaves.
    note = ledger.issue_credit_note(
        charge=sale,
        amount=20_00,
        reason="returned",
        refund_mode="cash",
        idempotency_key=key(),
        actor=None,
    )
    assert (note.amount, note.payout_amount, note.unapplied_amount) == (20_00, 0, 0)
    assert _open(sale) == [(30_00, ChargeStatus.PARTIALLY_PAID)]
    assert figures(account) == (-30_00, 30_00, 0)


def test_a_refund_of_a_partly_paid_sale_pays_out_only_what_was_paid(account: Account) -> None:
    sale = charge(account, 100_00)
    pay(account, 60_00)

    with nothing_written(), pytest.raises(RefundMustGoToAccount):
        ledger.issue_credit_note(
            charge=sale,
            amount=100_00,
            reason="cancelled",
            refund_mode="card",
            to_account=39_99,
            idempotency_key=key(),
            actor=None,
        )
    note = ledger.issue_credit_note(
        charge=sale,
        amount=100_00,
        reason="cancelled",
        refund_mode="card",
        idempotency_key=key(),
        actor=None,
    )

    assert (note.amount, note.payout_amount, note.payout_mode) == (40_00, 60_00, "card")
    assert sorted(note.entry.postings.values_list("counter", "amount")) == [
        ("", 40_00),
        ("mode:card", 60_00),
        ("sales", -100_00),
    ]
    assert _open(sale) == [(0, ChargeStatus.PAID)]
    assert figures(account) == (0, 0, 0)
    assert check_ledger().problems == []


def test_a_credit_note_above_what_remains_creditable_is_refused(account: Account) -> None:
    sale = charge(account, 50_00)
    with nothing_written(), pytest.raises(CreditNoteTooLarge):
        ledger.issue_credit_note(
            charge=sale, amount=50_01, reason="x", idempotency_key=key(), actor=None
        )
    ledger.issue_credit_note(
        charge=sale, amount=30_00, reason="x", idempotency_key=key(), actor=None
    )

    with nothing_written(), pytest.raises(CreditNoteTooLarge):
        ledger.issue_credit_note(
            charge=sale, amount=20_01, reason="x", idempotency_key=key(), actor=None
        )


def test_a_credit_note_of_a_reversed_sale_is_refused(account: Account) -> None:
    sale = charge(account, 50_00)
    ledger.reverse_entry(entry=sale.entry, reason="typo", idempotency_key=key(), actor=None)

    with nothing_written(), pytest.raises(CreditNoteTooLarge):
        ledger.issue_credit_note(
            charge=sale, amount=1_00, reason="x", idempotency_key=key(), actor=None
        )


def test_a_refund_to_the_account_cannot_be_split(account: Account) -> None:
    sale = charge(account, 50_00)

    with nothing_written(), pytest.raises(InvalidAmount):
        ledger.issue_credit_note(
            charge=sale,
            amount=20_00,
            to_account=10_00,
            reason="x",
            idempotency_key=key(),
            actor=None,
        )


@pytest.mark.parametrize("to_account", [-1, 1.5, 20_01])
def test_a_bad_share_to_the_account_is_refused(account: Account, to_account: object) -> None:
    sale = charge(account, 50_00)
    pay(account, 50_00)

    with nothing_written(), pytest.raises(InvalidAmount):
        ledger.issue_credit_note(
            charge=sale,
            amount=20_00,
            refund_mode="cash",
            to_account=to_account,  # type: ignore[arg-type]
            reason="x",
            idempotency_key=key(),
            actor=None,
        )


def test_a_credit_note_without_a_reason_is_refused(account: Account) -> None:
    sale = charge(account, 50_00)

    with nothing_written(), pytest.raises(ReasonRequired):
        ledger.issue_credit_note(
            charge=sale, amount=1_00, reason=" ", idempotency_key=key(), actor=None
        )


def test_a_credit_note_paid_out_by_a_bad_mode_is_refused(account: Account) -> None:
    sale = charge(account, 50_00)
    pay(account, 50_00)

    with nothing_written(), pytest.raises(InvalidPaymentMode):
        ledger.issue_credit_note(
            charge=sale,
            amount=1_00,
            refund_mode="no such mode",
            reason="x",
            idempotency_key=key(),
            actor=None,
        )


def test_the_last_credit_note_takes_exactly_the_vat_that_is_left(shop: Shop) -> None:
    account = make_account(shop)
    sale = charge(account, 100_00, vat_amount=16_67)
    notes = [
        ledger.issue_credit_note(
            charge=sale, amount=amount, reason="x", idempotency_key=key(), actor=None
        )
        for amount in (33_33, 33_33, 33_34)
    ]

    assert [note.vat_amount for note in notes] == [5_56, 5_56, 5_55]
    sale.refresh_from_db()
    assert (sale.credited_amount, sale.credited_vat_amount) == (100_00, 16_67)


@pytest.mark.parametrize(
    "amounts",
    [
        # Each 1,05 € note rounds its VAT up (17.5 -> 18 cents): without a bound, the VAT
        # credited passes the 2 € the sale carried before the sale is fully credited.
        [1_05] * 11 + [39, 6],
        # Each 1,04 € note rounds its VAT down (17.33 -> 17 cents): without a bound, the net
        # credited passes the 10 € of the sale, and the last cent would raise sales by 3 cents.
        [1_04] * 11 + [55, 1],
    ],
    ids=["vat-rounded-up", "vat-rounded-down"],
)
def test_many_small_credit_notes_never_credit_more_vat_or_net_than_the_sale_carried(
    shop: Shop, amounts: list[int]
) -> None:
    account = make_account(shop)
    sale = charge(account, 12_00, vat_amount=2_00)

    for amount in amounts:
        note = ledger.issue_credit_note(
            charge=sale, amount=amount, reason="x", idempotency_key=key(), actor=None
        )
        sale.refresh_from_db()
        counters = dict(note.entry.postings.filter(account=None).values_list("counter", "amount"))
        assert counters.get("sales", 0) <= 0, counters
        assert counters.get("vat", 0) <= 0, counters
        assert 0 <= sale.credited_vat_amount <= sale.vat_amount
        assert 0 <= sale.credited_amount - sale.credited_vat_amount <= sale.net_amount

    assert (sale.credited_amount, sale.credited_vat_amount) == (12_00, 2_00)
    assert check_ledger().problems == []


def test_what_is_left_of_an_earmarked_deposit_settles_older_charges_at_once(
    account: Account,
) -> None:
    """The order's charge takes its share, and with automatic allocation the rest of the
    deposit goes to the oldest open charge in the same call, not at some later event."""
    older = charge(account, 10_00, day=1)
    deposit = top_up(account, 30_00, earmark="order:9")

    order = charge(account, 20_00, day=2, earmark="order:9")

    deposit.refresh_from_db()
    assert _open(older, order) == [(0, ChargeStatus.PAID), (0, ChargeStatus.PAID)]
    assert deposit.unapplied_amount == 0
    assert figures(account) == (0, 0, 0)
