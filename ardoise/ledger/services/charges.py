"""Charges: sales on account and debit notes, admitted within the credit limit."""

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.core import inserts
from ardoise.ledger.errors import CreditLimitExceeded, InvalidAmount, OverrideNotAllowed
from ardoise.ledger.models import Account, Charge, ChargeKind, EntryKind
from ardoise.ledger.services import idempotency, matching, posting
from ardoise.ledger.services.posting import ADJUSTMENTS, SALES, VAT
from ardoise.shops.models import Membership, User
from ardoise.shops.permissions import Permission


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
    total = posting.positive_amount(total, name="total")
    vat = posting.positive_amount(vat_amount, name="vat_amount", allow_zero=True)
    if vat > total:
        raise InvalidAmount()
    if kind == ChargeKind.DEBIT_NOTE:
        description = posting.required_reason(description)
    when = posting.occurred(occurred_at)
    actor_id = posting.actor_id(actor)
    with posting.composable():
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
        moved = posting.move(account.pk, debt=total, guard=override_by is None)
        if moved is None:
            raise _beyond_limit(account.pk, total)
        entry_kind = EntryKind.SALE if kind == ChargeKind.INVOICE else EntryKind.DEBIT_NOTE
        counters = (
            {SALES: total - vat, VAT: vat} if kind == ChargeKind.INVOICE else {ADJUSTMENTS: total}
        )
        entry = posting.post_entry(
            account=account,
            kind=entry_kind,
            customer_amount=-total,
            counters=counters,
            moved=moved,
            occurred_at=when,
            actor_id=actor_id,
            memo=reference or description,
            reason=description if kind == ChargeKind.DEBIT_NOTE else "",
            override_by_id=posting.actor_id(override_by),
        )
        issued = issued_on or timezone.localdate(when)
        charge = inserts.create(
            Charge,
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
        charge.balance_after = moved.balance
        matching.auto_apply(account, actor_id, moved=moved, document=charge)
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


def _beyond_limit(account_id: int, total: int) -> CreditLimitExceeded:
    """The refusal with its figures, read after the guard refused: they word the message and
    decide nothing (a concurrent change may move them; the guard alone admits or refuses)."""
    balance, limit, currency, reserved = Account.objects.values_list(
        "balance", "credit_limit", "currency", "reserved"
    ).get(pk=account_id)
    return CreditLimitExceeded(
        amount=total, balance=balance, credit_limit=limit, currency=currency, reserved=reserved
    )


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
    with transaction.atomic(durable=True):
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


def _check_override(shop_id: int, override_by: User | None) -> None:
    if override_by is None:
        return
    membership = (
        Membership.objects.select_related("role").filter(shop_id=shop_id, user=override_by).first()
    )
    if membership is None or not membership.can(Permission.ACCOUNTS_OVERRIDE_LIMIT):
        raise OverrideNotAllowed()
