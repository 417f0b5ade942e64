"""open_account, create_customer_with_account, change_credit_limit, post_charge,
post_debit_adjustment and the limit guard."""

import datetime as dt

import pytest
from django.utils import timezone

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.ledger import services as ledger
from ardoise.ledger.checks import check_ledger
from ardoise.ledger.errors import (
    AccountAlreadyOpen,
    CreditLimitExceeded,
    IdempotencyConflict,
    InvalidAmount,
    InvalidDate,
    OverrideNotAllowed,
    ReasonRequired,
)
from ardoise.ledger.models import Account, ChargeKind, ChargeStatus, EntryKind, IdempotencyRecord
from ardoise.shops.models import Shop, User
from tests.factories import CustomerFactory, key, make_account, make_shop, owner_of
from tests.ledger.support import charge, figures, pay, posted_sum, top_up
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


# --- open_account -------------------------------------------------------------------------------


def test_open_account_takes_the_shop_default_limit_and_records_it() -> None:
    shop = make_shop(default_credit_limit=250_00)
    customer = CustomerFactory(shop=shop)
    actor = owner_of(shop)

    account = ledger.open_account(customer=customer, actor=actor, idempotency_key=key())

    account.refresh_from_db()
    assert (account.shop_id, account.currency, account.credit_limit) == (shop.pk, "EUR", 250_00)
    assert (account.balance, account.debt, account.deposit, account.version) == (0, 0, 0, 0)
    event = AuditEvent.objects.get(action="ledger.account.opened", object_id=account.pk)
    assert (event.actor_id, event.data) == (
        actor.pk,
        {"customer": customer.pk, "credit_limit": 250_00},
    )


@pytest.mark.parametrize("limit", [None, 0, 40_00])
def test_open_account_with_an_explicit_limit(shop: Shop, limit: int | None) -> None:
    customer = CustomerFactory(shop=shop)

    account = ledger.open_account(
        customer=customer, actor=None, idempotency_key=key(), credit_limit=limit
    )

    account.refresh_from_db()
    assert account.credit_limit == limit


def test_open_account_replayed_returns_the_same_account(shop: Shop) -> None:
    customer = CustomerFactory(shop=shop)
    same = key()
    first = ledger.open_account(customer=customer, actor=None, idempotency_key=same)

    with nothing_written():
        again = ledger.open_account(customer=customer, actor=None, idempotency_key=same)

    assert again.pk == first.pk


def test_a_second_account_in_the_same_currency_is_refused(account: Account) -> None:
    with nothing_written(), pytest.raises(AccountAlreadyOpen):
        ledger.open_account(customer=account.customer, actor=None, idempotency_key=key())


# --- create_customer_with_account ---------------------------------------------------------------


def _new_customer(
    shop: Shop, idempotency_key: str, name: str = "Le Bistrot", credit_limit: int = 80_00
) -> Customer:
    return ledger.create_customer_with_account(
        shop_id=shop.pk,
        actor=owner_of(shop),
        fields={"name": name, "email": "bistrot@example.com"},
        credit_limit=credit_limit,
        idempotency_key=idempotency_key,
    )


def test_create_customer_with_account_writes_both_with_their_events(shop: Shop) -> None:
    customer = _new_customer(shop, key())

    account = Account.objects.get(customer=customer)
    assert (customer.shop_id, customer.name, account.credit_limit) == (shop.pk, "Le Bistrot", 80_00)
    events = AuditEvent.objects.filter(shop=shop, actor=owner_of(shop)).exclude(
        action="shops.shop.created"
    )
    assert sorted(events.values_list("action", "object_id")) == [
        ("customers.customer.created", customer.pk),
        ("ledger.account.opened", account.pk),
    ]


def test_create_customer_with_account_twice_with_one_key_gives_the_first_customer(
    shop: Shop,
) -> None:
    same = key()
    first = _new_customer(shop, same)
    customers = Customer.objects.count()

    with nothing_written():
        again = _new_customer(shop, same)

    assert (again.pk, again.name, Customer.objects.count()) == (first.pk, "Le Bistrot", customers)


@pytest.mark.parametrize(
    "changed", [{"name": "Le Bistrot du port"}, {"credit_limit": 50_00}], ids=["name", "limit"]
)
def test_one_key_for_a_customer_with_other_details_is_refused(
    shop: Shop, changed: dict[str, object]
) -> None:
    same = key()
    _new_customer(shop, same)

    with nothing_written(), pytest.raises(IdempotencyConflict):
        _new_customer(shop, same, **changed)  # type: ignore[arg-type]


def test_create_customer_with_account_with_a_key_another_operation_used_is_refused(
    account: Account,
) -> None:
    used = key()
    charge(account, 10_00, idempotency_key=used)
    customers = Customer.objects.count()

    with nothing_written(), pytest.raises(IdempotencyConflict):
        _new_customer(account.shop, used)

    assert Customer.objects.count() == customers


def test_a_charge_of_an_unknown_kind_is_refused(account: Account) -> None:
    with nothing_written(), pytest.raises(ValueError, match="'gift'"):
        ledger.post_charge(
            account=account, total=10_00, kind="gift", idempotency_key=key(), actor=None
        )


# --- change_credit_limit ------------------------------------------------------------------------


def test_change_credit_limit_bumps_the_version_and_audits_the_change(
    account: Account, owner: User
) -> None:
    ledger.change_credit_limit(
        account=account,
        credit_limit=30_00,
        actor=owner,
        idempotency_key=key(),
        reason="late payer",
    )

    account.refresh_from_db()
    assert (account.credit_limit, account.version, account.balance) == (30_00, 1, 0)
    event = AuditEvent.objects.get(action="ledger.account.credit_limit_changed")
    assert (event.actor_id, event.data) == (
        owner.pk,
        {"from": 100_00, "to": 30_00, "reason": "late payer"},
    )


def test_lowering_the_limit_below_the_debt_blocks_charges_not_payments(account: Account) -> None:
    charge(account, 80_00)
    ledger.change_credit_limit(account=account, credit_limit=0, actor=None, idempotency_key=key())

    with nothing_written(), pytest.raises(CreditLimitExceeded):
        charge(account, 1)
    pay(account, 20_00)

    assert figures(account) == (-60_00, 60_00, 0)
    assert account.is_over_limit is True
    assert check_ledger().problems == []


def test_no_limit_admits_any_charge(account: Account) -> None:
    ledger.change_credit_limit(
        account=account, credit_limit=None, actor=None, idempotency_key=key()
    )

    charge(account, 1_000_000_00)

    assert figures(account) == (-1_000_000_00, 1_000_000_00, 0)


# --- post_charge --------------------------------------------------------------------------------


def test_a_sale_posts_a_balanced_entry_and_an_open_charge(account: Account, owner: User) -> None:
    sale = ledger.post_charge(
        account=account,
        total=60_00,
        vat_amount=10_00,
        reference="F-0001",
        idempotency_key=key(),
        actor=owner,
        issued_on=dt.date(2025, 3, 1),
        due_on=dt.date(2025, 3, 31),
    )

    assert (sale.kind, sale.status, sale.total, sale.net_amount, sale.vat_amount) == (
        ChargeKind.INVOICE,
        ChargeStatus.OPEN,
        60_00,
        50_00,
        10_00,
    )
    assert (sale.open_amount, sale.issued_on, sale.due_on) == (
        60_00,
        dt.date(2025, 3, 1),
        dt.date(2025, 3, 31),
    )
    postings = sorted(
        sale.entry.postings.values_list("counter", "amount", "balance_after", "credit_limit")
    )
    assert postings == [
        ("", -60_00, -60_00, 100_00),
        ("sales", 50_00, None, None),
        ("vat", 10_00, None, None),
    ]
    assert (sale.entry.kind, sale.entry.actor_id, sale.entry.limit_override_by_id) == (
        EntryKind.SALE,
        owner.pk,
        None,
    )
    account.refresh_from_db()
    assert (account.balance, account.debt, account.deposit, account.version) == (
        -60_00,
        60_00,
        0,
        1,
    )
    assert IdempotencyRecord.objects.get(operation="post_charge").result_id == sale.pk
    event = AuditEvent.objects.get(action="ledger.charge.posted")
    assert (event.object_id, event.data) == (sale.pk, {"total": 60_00, "balance_after": -60_00})


def test_a_charge_up_to_the_limit_is_admitted_and_one_cent_more_is_refused(
    account: Account,
) -> None:
    charge(account, 99_99)
    charge(account, 1)

    with nothing_written(), pytest.raises(CreditLimitExceeded):
        charge(account, 1)

    assert figures(account) == (-100_00, 100_00, 0)
    assert posted_sum(account) == -100_00


def test_a_zero_limit_spends_the_positive_balance_and_no_more(shop: Shop) -> None:
    account = make_account(shop, credit_limit=0)
    top_up(account, 50_00)
    charge(account, 30_00)

    with nothing_written(), pytest.raises(CreditLimitExceeded):
        charge(account, 20_01)
    charge(account, 20_00)

    assert figures(account) == (0, 0, 0)


def test_a_refused_charge_leaves_its_key_free_for_a_retry(account: Account) -> None:
    """A refusal rolls the idempotency claim back: the same request may succeed later."""
    same = key()
    charge(account, 80_00)
    with pytest.raises(CreditLimitExceeded):
        charge(account, 50_00, idempotency_key=same)
    pay(account, 30_00)

    admitted = charge(account, 50_00, idempotency_key=same)

    assert admitted.total == 50_00
    assert figures(account) == (-100_00, 100_00, 0)


def test_an_override_by_the_owner_passes_the_limit_and_is_recorded(
    account: Account, owner: User
) -> None:
    sale = charge(account, 150_00, override_by=owner)

    assert sale.entry.limit_override_by_id == owner.pk
    assert figures(account) == (-150_00, 150_00, 0)
    event = AuditEvent.objects.get(action="ledger.charge.posted", object_id=sale.pk)
    assert event.data == {
        "total": 150_00,
        "balance_after": -150_00,
        "override_by": owner.pk,
        "credit_limit": 100_00,
    }
    assert check_ledger().problems == []


def test_an_override_by_a_member_without_the_permission_is_refused(
    account: Account, manager: User
) -> None:
    with nothing_written(), pytest.raises(OverrideNotAllowed):
        charge(account, 150_00, override_by=manager)


def test_an_override_by_the_owner_of_another_shop_is_refused(account: Account) -> None:
    stranger = owner_of(make_shop())

    with nothing_written(), pytest.raises(OverrideNotAllowed):
        charge(account, 10_00, override_by=stranger)


@pytest.mark.parametrize(("total", "vat"), [(10_00, 10_01), (10_00, -1)])
def test_a_vat_amount_outside_the_total_is_refused(account: Account, total: int, vat: int) -> None:
    with nothing_written(), pytest.raises(InvalidAmount):
        charge(account, total, vat_amount=vat)


@pytest.mark.parametrize(
    "occurred_at",
    [
        dt.datetime(2025, 1, 1, 12, 0),  # noqa: DTZ001 (naive on purpose: the refusal tested)
        timezone.now() + dt.timedelta(hours=1),  # in the future
    ],
    ids=["naive", "future"],
)
def test_a_bad_date_is_refused(account: Account, occurred_at: dt.datetime) -> None:
    with nothing_written(), pytest.raises(InvalidDate):
        charge(account, 10_00, occurred_at=occurred_at)


# --- post_debit_adjustment ----------------------------------------------------------------------


def test_a_debit_adjustment_posts_to_adjustments_with_its_reason(account: Account) -> None:
    note = ledger.post_debit_adjustment(
        account=account,
        amount=5_00,
        reason="  returned cheque fee ",
        idempotency_key=key(),
        actor=None,
    )

    assert (note.kind, note.description, note.total, note.vat_amount) == (
        ChargeKind.DEBIT_NOTE,
        "returned cheque fee",
        5_00,
        0,
    )
    assert (note.entry.kind, note.entry.reason) == (EntryKind.DEBIT_NOTE, "returned cheque fee")
    assert sorted(note.entry.postings.values_list("counter", "amount")) == [
        ("", -5_00),
        ("adjustments", 5_00),
    ]


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_debit_adjustment_without_a_reason_is_refused(account: Account, reason: str) -> None:
    with nothing_written(), pytest.raises(ReasonRequired):
        ledger.post_debit_adjustment(
            account=account, amount=5_00, reason=reason, idempotency_key=key(), actor=None
        )


def test_a_debit_adjustment_is_subject_to_the_limit(account: Account, owner: User) -> None:
    with nothing_written(), pytest.raises(CreditLimitExceeded):
        ledger.post_debit_adjustment(
            account=account, amount=100_01, reason="fee", idempotency_key=key(), actor=None
        )

    ledger.post_debit_adjustment(
        account=account,
        amount=100_01,
        reason="fee",
        idempotency_key=key(),
        actor=owner,
        override_by=owner,
    )

    assert figures(account) == (-100_01, 100_01, 0)
