"""Allocation by hand: applying part of a credit to a charge of the same account, and back."""

from collections.abc import Callable

from ardoise.audit.services import record_event
from ardoise.ledger.errors import InvalidAllocation
from ardoise.ledger.models import Account, Allocation, Charge, ChargeStatus, Credit, CreditStatus
from ardoise.ledger.selectors import net_allocations
from ardoise.ledger.services import idempotency, matching, posting
from ardoise.shops.models import User


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
    amount = posting.positive_amount(amount)
    if credit.account_id != charge.account_id:
        raise InvalidAllocation()

    def admitted(locked_credit: Credit, locked_charge: Charge) -> bool:
        return (
            locked_charge.status != ChargeStatus.VOID
            and locked_credit.status != CreditStatus.VOID
            and amount <= locked_charge.open_amount
            and amount <= locked_credit.unapplied_amount
        )

    return _link(
        credit=credit,
        charge=charge,
        amount=amount,
        admitted=admitted,
        operation="allocate",
        action="ledger.allocation.created",
        idempotency_key=idempotency_key,
        actor=actor,
    )


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
    and is not re-applied automatically by this call. Locks as `allocate` does.
    """
    amount = posting.positive_amount(amount)

    def admitted(locked_credit: Credit, locked_charge: Charge) -> bool:
        pair = (locked_credit.pk, locked_charge.pk)
        return amount <= net_allocations(charge_id=charge.pk, credit_id=credit.pk).get(pair, 0)

    return _link(
        credit=credit,
        charge=charge,
        amount=-amount,
        admitted=admitted,
        operation="unallocate",
        action="ledger.allocation.released",
        idempotency_key=idempotency_key,
        actor=actor,
    )


def _link(
    *,
    credit: Credit,
    charge: Charge,
    amount: int,
    admitted: Callable[[Credit, Charge], bool],
    operation: str,
    action: str,
    idempotency_key: str,
    actor: User | None,
) -> Allocation:
    """The path `allocate` and `unallocate` share: claim the key, lock the account, the charge
    and the credit, let `admitted` decide on the locked rows, write the allocation row (`amount`
    negative to release), audit it."""
    with posting.composable():
        claim = idempotency.claim(
            shop_id=credit.shop_id,
            key=idempotency_key,
            operation=operation,
            params={"credit": credit.pk, "charge": charge.pk, "amount": abs(amount)},
        )
        if claim.replay_of is not None:
            return Allocation.objects.get(pk=claim.replay_of)
        Account.objects.select_for_update().get(pk=credit.account_id)
        locked_charge = Charge.objects.select_for_update().get(pk=charge.pk)
        locked_credit = Credit.objects.select_for_update().get(pk=credit.pk)
        if not admitted(locked_credit, locked_charge):
            raise InvalidAllocation()
        matching.write_allocations(
            shop_id=credit.shop_id,
            account_id=credit.account_id,
            actor_id=posting.actor_id(actor),
            pairs=[matching.Pair(locked_credit, locked_charge, amount)],
        )
        row = Allocation.objects.filter(credit=locked_credit, charge=locked_charge).latest("id")
        record_event(
            shop_id=credit.shop_id,
            actor_id=posting.actor_id(actor),
            action=action,
            target=row,
            data={"credit": credit.pk, "charge": charge.pk, "amount": abs(amount)},
        )
        idempotency.settle(claim, row.pk)
    return row
