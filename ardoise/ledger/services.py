"""Ledger use cases: the only code that writes accounts, journal entries, postings and allocations.

Each service is one business event: it runs in one transaction (its own, or the caller's when a
higher layer composes it, as invoicing does when delivering an order) and writes, together, the
idempotency claim, the balance update, the balanced journal entry, the document, its allocations
and the audit event. A refusal raises a `LedgerError` and leaves nothing behind.

Locking: the first statement that touches an account is the guarded UPDATE of its row (or a
`select_for_update` of it), so concurrent work on one account queues on that row lock. Charges
and credits are then locked in ascending id order.
"""

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.core.money import MoneyError, format_money, require_minor
from ardoise.customers.models import Customer
from ardoise.ledger import allocation, idempotency
from ardoise.ledger.errors import (
    AccountAlreadyOpen,
    AlreadyReversed,
    CreditLimitExceeded,
    CreditNoteTooLarge,
    InvalidAllocation,
    InvalidAmount,
    InvalidCreditLimit,
    InvalidDate,
    InvalidPaymentMode,
    NotReversible,
    OverrideNotAllowed,
    ReasonRequired,
    RefundMustGoToAccount,
)
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeKind,
    ChargeStatus,
    Credit,
    CreditKind,
    CreditStatus,
    EntryKind,
    JournalEntry,
    Posting,
)
from ardoise.shops.models import Membership, Shop, User
from ardoise.shops.permissions import Permission

# Counter accounts (the other side of every customer posting). Payment modes post to
# "mode:<code>" (cash drawer, cheques to deposit, card and provider clearing, bank for transfers).
SALES = "sales"
VAT = "vat"
ADJUSTMENTS = "adjustments"
ACCOUNT_MODE = "account"  # "deducted from the account": no money moves, so not a payment mode
FUTURE_TOLERANCE = dt.timedelta(minutes=5)

UNSET: Any = object()


def counter_for_mode(mode: str) -> str:
    return f"mode:{mode}"


def _amount(value: object, *, name: str = "amount", allow_zero: bool = False) -> int:
    try:
        amount = require_minor(value, name=name)
    except MoneyError as error:
        raise InvalidAmount() from error
    if amount < 0 or (amount == 0 and not allow_zero):
        raise InvalidAmount()
    return amount


def _mode(mode: str) -> str:
    if not mode or mode == ACCOUNT_MODE or len(mode) > 30 or not mode.replace("_", "").isalnum():
        raise InvalidPaymentMode()
    return mode


def _when(occurred_at: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if occurred_at is None:
        return now
    if timezone.is_naive(occurred_at) or occurred_at > now + FUTURE_TOLERANCE:
        raise InvalidDate()
    return occurred_at


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    return reason


def _actor_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _check_override(shop_id: int, override_by: User | None) -> None:
    if override_by is None:
        return
    membership = (
        Membership.objects.select_related("role").filter(shop_id=shop_id, user=override_by).first()
    )
    if membership is None or not membership.can(Permission.ACCOUNTS_OVERRIDE_LIMIT):
        raise OverrideNotAllowed()


@dataclass(frozen=True)
class _Moved:
    """The account row as the balance UPDATE left it (the row stays locked until commit)."""

    balance: int
    credit_limit: int | None
    debt: int
    deposit: int


def _move(
    account_id: int, *, debt: int = 0, deposit: int = 0, guard: bool = False
) -> _Moved | None:
    """The one statement that changes a balance: `balance += deposit - debt`.

    With `guard`, the row is changed only if the new balance stays at or above -credit_limit
    (DESIGN.md rule 5); `None` means refused. Returns the new balance, the limit in force, and
    the account's Debt and Deposit (which tell whether there is anything to allocate).
    """
    table = Account._meta.db_table
    delta = deposit - debt
    sql = (
        f"UPDATE {table} SET balance = balance + %s, debt = debt + %s, "  # noqa: S608
        "deposit = deposit + %s, version = version + 1 WHERE id = %s"
    )
    params: list[Any] = [delta, debt, deposit, account_id]
    if guard:
        sql += " AND (credit_limit IS NULL OR balance + %s >= -credit_limit)"
        params.append(delta)
    with connection.cursor() as cursor:
        cursor.execute(sql + " RETURNING balance, credit_limit, debt, deposit", params)
        row = cursor.fetchone()
    return _Moved(*row) if row else None


def _post(
    *,
    account: Account,
    kind: str,
    customer_amount: int,
    counters: dict[str, int],
    moved: _Moved | None,
    occurred_at: dt.datetime,
    actor_id: int | None,
    memo: str = "",
    reason: str = "",
    reverses: JournalEntry | None = None,
    override_by_id: int | None = None,
) -> JournalEntry:
    """Write one balanced journal entry: the customer posting and its counter postings."""
    entry = JournalEntry.objects.create(
        shop_id=account.shop_id,
        kind=kind,
        occurred_at=occurred_at,
        memo=memo[:200],
        reason=reason,
        reverses=reverses,
        actor_id=actor_id,
        limit_override_by_id=override_by_id,
    )
    # (account, counter, amount, balance_after, credit_limit): the customer's side, then the
    # counter accounts.
    lines: list[tuple[int | None, str, int, int | None, int | None]] = []
    if customer_amount:
        assert moved is not None
        lines.append((account.pk, "", customer_amount, moved.balance, moved.credit_limit))
    lines.extend(
        (None, counter, amount, None, None) for counter, amount in counters.items() if amount
    )
    if len(lines) < 2 or sum(line[2] for line in lines) != 0:
        raise AssertionError(f"unbalanced journal entry: {lines}")
    _insert_postings(entry, lines, occurred_at)
    return entry


_POSTING_COLUMNS = (
    "shop_id, entry_id, account_id, counter, amount, balance_after, credit_limit, occurred_at"
)


def _insert_postings(
    entry: JournalEntry,
    lines: list[tuple[int | None, str, int, int | None, int | None]],
    occurred_at: dt.datetime,
) -> None:
    """The postings of one entry in one INSERT, written here rather than by `bulk_create`,
    whose compilation was a quarter of the CPU of a posting (bench/posting.py)."""
    when = connection.ops.adapt_datetimefield_value(occurred_at)
    rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s)"] * len(lines))
    params = [value for line in lines for value in (entry.shop_id, entry.pk, *line, when)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Posting._meta.db_table} ({_POSTING_COLUMNS}) VALUES {rows}",  # noqa: S608
            params,
        )


def _auto_apply(
    account: Account,
    actor_id: int | None,
    *,
    moved: _Moved | None = None,
    document: Charge | Credit | None = None,
) -> int:
    """Let unapplied credits settle open charges; returns the amount allocated.

    `moved` is what this transaction's balance UPDATE returned: the account row is locked since,
    so a Debt or a Deposit of 0 there means no open charge or no unapplied credit, and nothing to
    read or match (an allocation made since only lowers both). `document`, the charge or credit
    the caller has just written, is updated in place, so the caller need not read it again.
    """
    if moved is not None and (moved.debt == 0 or moved.deposit == 0):
        return 0
    automatic = Shop.objects.filter(pk=account.shop_id).values_list("auto_allocate", flat=True)
    return allocation.apply_credits(
        shop_id=account.shop_id,
        account_id=account.pk,
        actor_id=actor_id,
        automatic=automatic.get(),
        document=document,
    )


# --- Accounts ---------------------------------------------------------------------------------


def open_account(
    *,
    customer: Customer,
    actor: User | None,
    idempotency_key: str,
    credit_limit: int | None = UNSET,
) -> Account:
    """Open the customer's account in the shop's currency, with the shop's default limit.

    Invariant: one account per customer and currency (unique constraint).
    """
    shop = Shop.objects.get(pk=customer.shop_id)
    limit = shop.default_credit_limit if credit_limit is UNSET else credit_limit
    if limit is not None:
        limit = _limit(limit)
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=shop.pk,
            key=idempotency_key,
            operation="open_account",
            params={"customer": customer.pk, "credit_limit": limit},
        )
        if claim.replay_of is not None:
            return Account.objects.get(pk=claim.replay_of)
        try:
            with transaction.atomic():  # the unique (customer, currency) decides, races too
                account = Account.objects.create(
                    shop_id=shop.pk, customer=customer, currency=shop.currency, credit_limit=limit
                )
        except IntegrityError as error:
            raise AccountAlreadyOpen() from error
        record_event(
            shop_id=shop.pk,
            actor_id=_actor_id(actor),
            action="ledger.account.opened",
            target=account,
            data={"customer": customer.pk, "credit_limit": limit},
        )
        idempotency.settle(claim, account.pk)
    return account


def _limit(value: object) -> int:
    try:
        limit = require_minor(value, name="credit_limit")
    except MoneyError as error:
        raise InvalidCreditLimit() from error
    if limit < 0:
        raise InvalidCreditLimit()
    return limit


def change_credit_limit(
    *,
    account: Account,
    credit_limit: int | None,
    actor: User | None,
    idempotency_key: str,
    reason: str = "",
) -> Account:
    """Set the most the customer may owe (`None` no limit, `0` no credit: "deactivated").

    Lowering a limit below what is already owed is allowed: it blocks new charges, it does not
    undo old ones. Locks the account row.
    """
    limit = None if credit_limit is None else _limit(credit_limit)
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation="change_credit_limit",
            params={"account": account.pk, "credit_limit": limit},
        )
        if claim.replay_of is not None:
            return Account.objects.get(pk=claim.replay_of)
        locked = Account.objects.select_for_update().get(pk=account.pk)
        previous = locked.credit_limit
        locked.credit_limit = limit
        locked.version += 1
        locked.save(update_fields=["credit_limit", "version"])
        record_event(
            shop_id=account.shop_id,
            actor_id=_actor_id(actor),
            action="ledger.account.credit_limit_changed",
            target=locked,
            data={"from": previous, "to": limit, "reason": reason},
        )
        idempotency.settle(claim, locked.pk)
    return locked


# --- Charges ----------------------------------------------------------------------------------


def post_charge(
    *,
    account: Account,
    total: int,
    idempotency_key: str,
    actor: User | None,
    vat_amount: int = 0,
    kind: str = ChargeKind.INVOICE,
    reference: str = "",
    description: str = "",
    issued_on: dt.date | None = None,
    due_on: dt.date | None = None,
    earmark: str = "",
    occurred_at: dt.datetime | None = None,
    override_by: User | None = None,
) -> Charge:
    """Post a sale on account (or a debit note): the customer owes `total` more.

    Admitted only if the balance stays at or above -credit_limit, decided by one guarded UPDATE
    of the account row; `override_by` (a member with the override permission) lifts the guard
    and is recorded. Then unapplied credits settle it (earmarked ones always, the others when the
    shop applies credits automatically).
    """
    kind = ChargeKind(kind)  # ValueError for a kind that does not exist: a programming error
    total = _amount(total, name="total")
    vat = _amount(vat_amount, name="vat_amount", allow_zero=True)
    if vat > total:
        raise InvalidAmount()
    if kind == ChargeKind.DEBIT_NOTE:
        description = _reason(description)
    when = _when(occurred_at)
    actor_id = _actor_id(actor)
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation="post_charge",
            params={
                "account": account.pk,
                "total": total,
                "vat": vat,
                "kind": kind,
                "reference": reference,
                "earmark": earmark,
            },
        )
        if claim.replay_of is not None:
            return Charge.objects.get(pk=claim.replay_of)
        _check_override(account.shop_id, override_by)
        moved = _move(account.pk, debt=total, guard=override_by is None)
        if moved is None:
            raise CreditLimitExceeded()
        entry_kind = EntryKind.SALE if kind == ChargeKind.INVOICE else EntryKind.DEBIT_NOTE
        counters = (
            {SALES: total - vat, VAT: vat} if kind == ChargeKind.INVOICE else {ADJUSTMENTS: total}
        )
        entry = _post(
            account=account,
            kind=entry_kind,
            customer_amount=-total,
            counters=counters,
            moved=moved,
            occurred_at=when,
            actor_id=actor_id,
            memo=reference or description,
            reason=description if kind == ChargeKind.DEBIT_NOTE else "",
            override_by_id=_actor_id(override_by),
        )
        issued = issued_on or timezone.localdate(when)
        charge = Charge.objects.create(
            shop_id=account.shop_id,
            account_id=account.pk,
            entry=entry,
            kind=kind,
            reference=reference,
            description=description,
            earmark=earmark,
            issued_on=issued,
            due_on=due_on,
            net_amount=total - vat,
            vat_amount=vat,
            total=total,
            open_amount=total,
        )
        _auto_apply(account, actor_id, moved=moved, document=charge)
        data: dict[str, Any] = {"total": total, "balance_after": moved.balance}
        if override_by is not None:
            data.update(override_by=override_by.pk, credit_limit=moved.credit_limit)
        record_event(
            shop_id=account.shop_id,
            actor_id=actor_id,
            action="ledger.charge.posted",
            target=charge,
            data=data,
        )
        idempotency.settle(claim, charge.pk)
    return charge


def post_debit_adjustment(
    *,
    account: Account,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    occurred_at: dt.datetime | None = None,
    override_by: User | None = None,
) -> Charge:
    """A manual debit with a mandatory reason (a debit note): subject to the credit limit."""
    return post_charge(
        account=account,
        total=amount,
        kind=ChargeKind.DEBIT_NOTE,
        description=reason,
        idempotency_key=idempotency_key,
        actor=actor,
        occurred_at=occurred_at,
        override_by=override_by,
    )


# --- Credits ----------------------------------------------------------------------------------


def _record_credit(
    *,
    account: Account,
    kind: str,
    amount: int,
    counter: str,
    idempotency_key: str,
    actor: User | None,
    mode: str = "",
    reference: str = "",
    reason: str = "",
    earmark: str = "",
    received_on: dt.date | None,
    occurred_at: dt.datetime | None,
    apply_to: Sequence[Charge] | None = None,
) -> Credit:
    amount = _amount(amount)
    when = _when(occurred_at)
    actor_id = _actor_id(actor)
    params: dict[str, Any] = {
        "account": account.pk,
        "amount": amount,
        "mode": mode,
        "reference": reference,
        "earmark": earmark,
    }
    target_ids = [charge.pk for charge in apply_to or ()]
    if target_ids:
        params["apply_to"] = target_ids
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation=f"record_{kind}",
            params=params,
        )
        if claim.replay_of is not None:
            return Credit.objects.get(pk=claim.replay_of)
        moved = _move(account.pk, deposit=amount)
        entry_kind = {
            CreditKind.PAYMENT: EntryKind.PAYMENT,
            CreditKind.TOP_UP: EntryKind.TOP_UP,
            CreditKind.ADJUSTMENT: EntryKind.CREDIT_ADJUSTMENT,
        }[CreditKind(kind)]
        entry = _post(
            account=account,
            kind=entry_kind,
            customer_amount=amount,
            counters={counter: -amount},
            moved=moved,
            occurred_at=when,
            actor_id=actor_id,
            memo=reference,
            reason=reason,
        )
        credit = Credit.objects.create(
            shop_id=account.shop_id,
            account_id=account.pk,
            entry=entry,
            kind=kind,
            mode=mode,
            reference=reference,
            reason=reason,
            earmark=earmark,
            received_on=received_on or timezone.localdate(when),
            amount=amount,
            unapplied_amount=amount,
        )
        if target_ids:
            allocation.apply_credit_to(
                shop_id=account.shop_id,
                account_id=account.pk,
                actor_id=actor_id,
                credit=credit,
                charge_ids=target_ids,
            )
        _auto_apply(account, actor_id, moved=moved, document=credit)
        record_event(
            shop_id=account.shop_id,
            actor_id=actor_id,
            action=f"ledger.{kind}.recorded",
            target=credit,
            data={"amount": amount, "mode": mode, "balance_after": moved and moved.balance},
        )
        idempotency.settle(claim, credit.pk)
    return credit


def record_payment(
    *,
    account: Account,
    amount: int,
    mode: str,
    idempotency_key: str,
    actor: User | None,
    reference: str = "",
    earmark: str = "",
    received_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
    apply_to: Sequence[Charge] | None = None,
) -> Credit:
    """Money received by `mode` (cash, cheque, card, transfer, online or the shop's own).

    With `apply_to` (charges of this account), it first settles those charges, in the order
    given, up to their open amounts (a statement paid online settles the statement's charges).
    Then it settles open charges (oldest first when the shop applies credits automatically, or
    the earmarked charge); what is left raises the customer's prepaid balance.
    """
    return _record_credit(
        account=account,
        kind=CreditKind.PAYMENT,
        amount=amount,
        counter=counter_for_mode(_mode(mode)),
        mode=mode,
        reference=reference,
        earmark=earmark,
        idempotency_key=idempotency_key,
        actor=actor,
        received_on=received_on,
        occurred_at=occurred_at,
        apply_to=apply_to,
    )


def record_top_up(
    *,
    account: Account,
    amount: int,
    mode: str,
    idempotency_key: str,
    actor: User | None,
    reference: str = "",
    earmark: str = "",
    received_on: dt.date | None = None,
    occurred_at: dt.datetime | None = None,
) -> Credit:
    """A prepayment or deposit (for example a transfer of 50 €), optionally for one order."""
    return _record_credit(
        account=account,
        kind=CreditKind.TOP_UP,
        amount=amount,
        counter=counter_for_mode(_mode(mode)),
        mode=mode,
        reference=reference,
        earmark=earmark,
        idempotency_key=idempotency_key,
        actor=actor,
        received_on=received_on,
        occurred_at=occurred_at,
    )


def post_credit_adjustment(
    *,
    account: Account,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    occurred_at: dt.datetime | None = None,
) -> Credit:
    """A manual credit with a mandatory reason (a goodwill gesture, a correction)."""
    return _record_credit(
        account=account,
        kind=CreditKind.ADJUSTMENT,
        amount=amount,
        counter=ADJUSTMENTS,
        reason=_reason(reason),
        idempotency_key=idempotency_key,
        actor=actor,
        received_on=None,
        occurred_at=occurred_at,
    )


def refund_minimum_to_account(charge: Charge, amount: int) -> int:
    """The part of a refund that must go back to the account: the sale's unpaid part."""
    return min(amount, charge.open_amount)


def issue_credit_note(
    *,
    charge: Charge,
    amount: int,
    reason: str,
    idempotency_key: str,
    actor: User | None,
    refund_mode: str = ACCOUNT_MODE,
    to_account: int | None = None,
    occurred_at: dt.datetime | None = None,
) -> Credit:
    """Refund part or all of a charge.

    Never more than what remains creditable on the charge. The refund first cancels what is
    still unpaid on it (that part always goes back to the account); what was paid may go back to
    the account (prepaid credit) or be paid out by `refund_mode`. `to_account` defaults to the
    whole amount when refunding to the account, to the minimum otherwise. Sales and VAT are
    reduced in proportion, never beyond what the charge has left of either; the last credit note
    of a charge takes exactly the VAT that is left. Locks the account row, then the charge.
    """
    amount = _amount(amount)
    reason = _reason(reason)
    if refund_mode != ACCOUNT_MODE:
        _mode(refund_mode)
    when = _when(occurred_at)
    actor_id = _actor_id(actor)
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=charge.shop_id,
            key=idempotency_key,
            operation="issue_credit_note",
            params={
                "charge": charge.pk,
                "amount": amount,
                "refund_mode": refund_mode,
                "to_account": to_account,
            },
        )
        if claim.replay_of is not None:
            return Credit.objects.get(pk=claim.replay_of)
        account = Account.objects.select_for_update().get(pk=charge.account_id)
        locked = Charge.objects.select_for_update().get(pk=charge.pk)
        if locked.status == ChargeStatus.VOID or amount > locked.creditable_amount:
            raise CreditNoteTooLarge()
        minimum = refund_minimum_to_account(locked, amount)
        if to_account is None:
            to_account = amount if refund_mode == ACCOUNT_MODE else minimum
        to_account = _amount(to_account, name="to_account", allow_zero=True)
        if to_account > amount or (refund_mode == ACCOUNT_MODE and to_account != amount):
            raise InvalidAmount()
        if to_account < minimum:
            raise RefundMustGoToAccount(minimum=format_money(minimum, account.currency))
        payout = amount - to_account
        # VAT in proportion, rounded half up, then kept within what the charge has left on each
        # side: rounding every note of a series the same way would otherwise credit more VAT (or
        # more net) than the sale carried, and the last note would post VAT or sales the wrong
        # way round. The last note (amount = creditable) takes exactly the VAT that is left.
        vat_left = locked.vat_amount - locked.credited_vat_amount
        net_left = locked.net_amount - (locked.credited_amount - locked.credited_vat_amount)
        vat = (amount * locked.vat_amount * 2 + locked.total) // (locked.total * 2)
        vat = min(max(vat, amount - net_left), vat_left)
        moved = _move(account.pk, deposit=to_account) if to_account else None
        counters = {SALES: -(amount - vat), VAT: -vat}
        if payout:
            counters[counter_for_mode(refund_mode)] = payout
        entry = _post(
            account=account,
            kind=EntryKind.CREDIT_NOTE,
            customer_amount=to_account,
            counters=counters,
            moved=moved,
            occurred_at=when,
            actor_id=actor_id,
            memo=locked.reference,
            reason=reason,
        )
        credit = Credit.objects.create(
            shop_id=charge.shop_id,
            account_id=account.pk,
            entry=entry,
            kind=CreditKind.CREDIT_NOTE,
            mode=ACCOUNT_MODE if to_account else "",
            reference=locked.reference,
            reason=reason,
            received_on=timezone.localdate(when),
            amount=to_account,
            unapplied_amount=to_account,
            against_charge=locked,
            vat_amount=vat,
            payout_amount=payout,
            payout_mode=refund_mode if payout else "",
        )
        locked.credited_amount += amount
        locked.credited_vat_amount += vat
        locked.save(update_fields=["credited_amount", "credited_vat_amount"])
        if minimum:
            allocation.write_allocations(
                shop_id=charge.shop_id,
                account_id=account.pk,
                actor_id=actor_id,
                pairs=[allocation._Pair(credit, locked, minimum)],
            )
        _auto_apply(account, actor_id, document=credit)
        record_event(
            shop_id=charge.shop_id,
            actor_id=actor_id,
            action="ledger.credit_note.issued",
            target=credit,
            data={
                "charge": locked.pk,
                "amount": amount,
                "to_account": to_account,
                "payout": payout,
                "payout_mode": refund_mode if payout else "",
                "reason": reason,
            },
        )
        idempotency.settle(claim, credit.pk)
    return credit


# --- Allocation -------------------------------------------------------------------------------


def allocate(
    *,
    credit: Credit,
    charge: Charge,
    amount: int,
    idempotency_key: str,
    actor: User | None,
) -> Allocation:
    """Explicitly apply `amount` of a credit to a charge of the same account.

    Never more than the credit's unapplied amount nor the charge's open amount. Locks the
    account row, then the charge and the credit (ascending ids).
    """
    amount = _amount(amount)
    if credit.account_id != charge.account_id:
        raise InvalidAllocation()
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=credit.shop_id,
            key=idempotency_key,
            operation="allocate",
            params={"credit": credit.pk, "charge": charge.pk, "amount": amount},
        )
        if claim.replay_of is not None:
            return Allocation.objects.get(pk=claim.replay_of)
        Account.objects.select_for_update().get(pk=credit.account_id)
        locked_charge = Charge.objects.select_for_update().get(pk=charge.pk)
        locked_credit = Credit.objects.select_for_update().get(pk=credit.pk)
        if (
            locked_charge.status == ChargeStatus.VOID
            or locked_credit.status == CreditStatus.VOID
            or amount > locked_charge.open_amount
            or amount > locked_credit.unapplied_amount
        ):
            raise InvalidAllocation()
        allocation.write_allocations(
            shop_id=credit.shop_id,
            account_id=credit.account_id,
            actor_id=_actor_id(actor),
            pairs=[allocation._Pair(locked_credit, locked_charge, amount)],
        )
        row = Allocation.objects.filter(credit=locked_credit, charge=locked_charge).latest("id")
        record_event(
            shop_id=credit.shop_id,
            actor_id=_actor_id(actor),
            action="ledger.allocation.created",
            target=row,
            data={"credit": credit.pk, "charge": charge.pk, "amount": amount},
        )
        idempotency.settle(claim, row.pk)
    return row


def unallocate(
    *,
    credit: Credit,
    charge: Charge,
    amount: int,
    idempotency_key: str,
    actor: User | None,
) -> Allocation:
    """Take back `amount` of what a credit settled on a charge (a negative allocation row).

    Never more than is allocated between the two. The credit's amount becomes unapplied again
    and is not re-applied automatically by this call.
    """
    amount = _amount(amount)
    with transaction.atomic():
        claim = idempotency.claim(
            shop_id=credit.shop_id,
            key=idempotency_key,
            operation="unallocate",
            params={"credit": credit.pk, "charge": charge.pk, "amount": amount},
        )
        if claim.replay_of is not None:
            return Allocation.objects.get(pk=claim.replay_of)
        Account.objects.select_for_update().get(pk=credit.account_id)
        locked_charge = Charge.objects.select_for_update().get(pk=charge.pk)
        locked_credit = Credit.objects.select_for_update().get(pk=credit.pk)
        allocated = allocation.net_allocations(charge_id=charge.pk, credit_id=credit.pk).get(
            (credit.pk, charge.pk), 0
        )
        if amount > allocated:
            raise InvalidAllocation()
        allocation.write_allocations(
            shop_id=credit.shop_id,
            account_id=credit.account_id,
            actor_id=_actor_id(actor),
            pairs=[allocation._Pair(locked_credit, locked_charge, -amount)],
        )
        row = Allocation.objects.filter(credit=locked_credit, charge=locked_charge).latest("id")
        record_event(
            shop_id=credit.shop_id,
            actor_id=_actor_id(actor),
            action="ledger.allocation.released",
            target=row,
            data={"credit": credit.pk, "charge": charge.pk, "amount": amount},
        )
        idempotency.settle(claim, row.pk)
    return row


# --- Reversal ---------------------------------------------------------------------------------


def reverse_entry(
    *,
    entry: JournalEntry,
    reason: str,
    idempotency_key: str,
    actor: User | None,
) -> JournalEntry:
    """Cancel an entry with its mirror image, pointing at it, with a reason.

    The entry's document (charge or credit) is released from its allocations and becomes void.
    An entry is reversed at most once (unique `reverses`), a reversal is never reversed, and a
    charge with active credit notes must have them reversed first. A reversal is a correction,
    not a new spend: the credit limit does not apply to it (a bounced cheque must be undone).
    """
    reason = _reason(reason)
    actor_id = _actor_id(actor)
    try:
        with transaction.atomic():
            claim = idempotency.claim(
                shop_id=entry.shop_id,
                key=idempotency_key,
                operation="reverse_entry",
                params={"entry": entry.pk},
            )
            if claim.replay_of is not None:
                return JournalEntry.objects.get(pk=claim.replay_of)
            reversal = _reverse(entry, reason=reason, actor_id=actor_id)
            idempotency.settle(claim, reversal.pk)
    except IntegrityError as error:
        # Two reversals of one entry at once: the unique `reverses` admits one.
        if JournalEntry.objects.filter(reverses=entry).exists():
            raise AlreadyReversed() from error
        raise
    return reversal


def _reverse(entry: JournalEntry, *, reason: str, actor_id: int | None) -> JournalEntry:
    if entry.kind == EntryKind.REVERSAL:
        raise NotReversible()
    charge = Charge.objects.filter(entry=entry).first()
    credit = Credit.objects.filter(entry=entry).first() if charge is None else None
    document = charge or credit
    if document is None:
        raise NotReversible()
    account = Account.objects.select_for_update().get(pk=document.account_id)
    if JournalEntry.objects.filter(reverses=entry).exists():
        raise AlreadyReversed()
    postings = list(entry.postings.all())
    customer_amount = sum(posting.amount for posting in postings if posting.account_id)
    counters = {posting.counter: -posting.amount for posting in postings if posting.counter}
    if charge is not None:
        charge = Charge.objects.select_for_update().get(pk=charge.pk)
        if charge.credit_notes.filter(status=CreditStatus.ACTIVE).exists():
            raise NotReversible(
                _("Reverse the credit notes of this sale before reversing the sale.")
            )
        allocation.release_all(
            shop_id=entry.shop_id, account_id=account.pk, actor_id=actor_id, charge=charge
        )
        # The charge leaves Debt entirely: its open amount, now its whole total, goes to zero.
        moved = _move(account.pk, debt=-charge.open_amount)
        charge.open_amount = 0
        charge.status = ChargeStatus.VOID
        charge.save(update_fields=["open_amount", "status"])
    else:
        assert credit is not None
        credit = Credit.objects.select_for_update().get(pk=credit.pk)
        allocation.release_all(
            shop_id=entry.shop_id, account_id=account.pk, actor_id=actor_id, credit=credit
        )
        moved = _move(account.pk, deposit=-credit.unapplied_amount) if credit.amount else None
        credit.unapplied_amount = 0
        credit.status = CreditStatus.VOID
        credit.save(update_fields=["unapplied_amount", "status"])
        if credit.against_charge_id is not None:
            target = Charge.objects.select_for_update().get(pk=credit.against_charge_id)
            target.credited_amount -= credit.total
            target.credited_vat_amount -= credit.vat_amount
            target.save(update_fields=["credited_amount", "credited_vat_amount"])
    reversal = _post(
        account=account,
        kind=EntryKind.REVERSAL,
        customer_amount=-customer_amount,
        counters=counters,
        moved=moved,
        occurred_at=timezone.now(),
        actor_id=actor_id,
        memo=entry.memo,
        reason=reason,
        reverses=entry,
    )
    _auto_apply(account, actor_id)
    record_event(
        shop_id=entry.shop_id,
        actor_id=actor_id,
        action="ledger.entry.reversed",
        target=entry,
        data={"reversal": reversal.pk, "reason": reason, "amount": -customer_amount},
    )
    return reversal
