"""Applying a deposit by hand: for a shop that has turned automatic allocation off, staff choose
the open charges (invoices and debit notes) that the customer's unapplied credits settle.

The money moved long ago (the payment or top-up); this only matches credits to charges, through
`ledger.allocate`, in one transaction.
"""

from collections.abc import Sequence

from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import InvalidAllocation
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    IdempotencyRecord,
)
from ardoise.ledger.services import idempotency
from ardoise.shops.models import User

APPLY_DEPOSIT = "apply_deposit"


def was_applied(*, shop_id: int, idempotency_key: str) -> bool:
    """Whether this form's key already applied a deposit (its charges may be paid since)."""
    return (
        idempotency.result_of(shop_id=shop_id, key=idempotency_key, operation=APPLY_DEPOSIT)
        is not None
    )


def _waits_for_an_order(credit: Credit, account_id: int) -> bool:
    """A deposit for an order not delivered yet is kept for that order (as the ledger keeps it)."""
    if not credit.earmark.startswith("order:"):
        return False
    return not Charge.objects.filter(account_id=account_id, earmark=credit.earmark).exists()


def _applied_under(shop_id: int, idempotency_key: str) -> int:
    """What allocations made under this form's key applied (0 when it has not been posted)."""
    allocation_ids = IdempotencyRecord.objects.filter(
        shop_id=shop_id, operation="allocate", key__startswith=f"{idempotency_key}:"
    ).values("result_id")
    total = Allocation.objects.filter(pk__in=allocation_ids).aggregate(total=Sum("amount"))
    return int(total["total"] or 0)


def spend_credits_on(
    charges: Sequence[Charge], credits: Sequence[Credit], *, key_prefix: str, actor: User | None
) -> int:
    """Apply `credits` to `charges`, both in the order given, each charge up to what it still
    owes (a void one nothing); returns the amount applied. The caller holds the locks (account,
    then charges and credits in ascending id order) and the transaction; each allocation's key
    is `key_prefix:credit:charge`, so running it again allocates nothing twice."""
    left = {credit.pk: credit.unapplied_amount for credit in credits}
    applied = 0
    for charge in charges:
        owed = charge.open_amount if charge.status != ChargeStatus.VOID else 0
        for credit in credits:
            part = min(owed, left[credit.pk])
            if part <= 0:
                continue
            ledger.allocate(
                credit=credit,
                charge=charge,
                amount=part,
                idempotency_key=f"{key_prefix}:{credit.pk}:{charge.pk}",
                actor=actor,
            )
            left[credit.pk] -= part
            owed -= part
            applied += part
    return applied


def apply_deposit(
    *, account: Account, charge_ids: Sequence[int], actor: User | None, idempotency_key: str
) -> int:
    """Apply the account's deposit to the chosen open charges; returns the amount applied.

    For a shop that has turned automatic allocation off: staff choose the invoices and debit
    notes to settle. The unapplied credits, oldest first, settle the chosen charges, oldest
    first, up to their open amounts, by `ledger.allocate` calls in one transaction (all or
    nothing). Deposits held for an order not delivered yet are left for it. Locks the account
    row, then the charges and the credits in ascending id order.

    Each allocation's key is derived from `idempotency_key`: posted again, the form finds its
    charges paid or the deposit spent, writes nothing, and returns what the first post applied.
    Refused (`InvalidAllocation`) for a charge of another account or when nothing can be applied.
    """
    wanted = sorted(set(charge_ids))
    with transaction.atomic():
        Account.objects.select_for_update().get(pk=account.pk)
        # Lock, then claim the form's key for the whole request: sent again as it was, it gives
        # what the first applied; with other charges, `IdempotencyConflict`.
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation=APPLY_DEPOSIT,
            params={"account": account.pk, "charges": wanted},
        )
        if claim.replay_of is not None:
            return _applied_under(account.shop_id, idempotency_key)
        charges = list(
            Charge.objects.select_for_update()
            .filter(pk__in=wanted, shop_id=account.shop_id)
            .order_by("id")  # ascending ids, as the ledger locks
        )
        if not wanted or len(charges) != len(wanted):
            raise InvalidAllocation()
        if any(charge.account_id != account.pk for charge in charges):
            raise InvalidAllocation()
        credits = [
            credit
            for credit in Credit.objects.select_for_update()
            .filter(account_id=account.pk, status=CreditStatus.ACTIVE, unapplied_amount__gt=0)
            .order_by("id")
            if not _waits_for_an_order(credit, account.pk)
        ]
        charges.sort(key=lambda charge: (charge.issued_on, charge.pk))
        credits.sort(key=lambda credit: (credit.received_on, credit.pk))
        applied = spend_credits_on(charges, credits, key_prefix=idempotency_key, actor=actor)
        if applied == 0:
            raise InvalidAllocation(
                _("Nothing to apply: there is no deposit left, or these charges are paid.")
            )
        idempotency.settle(claim, account.pk)
        record_event(
            shop_id=account.shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.deposit.applied",
            target=account,
            data={"amount": applied, "charges": [charge.pk for charge in charges]},
        )
    return applied
