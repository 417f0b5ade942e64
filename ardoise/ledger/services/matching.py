"""Matching credits to charges (lettrage), on rows the caller has already locked.

Internal to the ledger services, inside their transaction, after they have locked the account
row (every path locks the account first, then charges and credits in ascending id order, so two
transactions on one account queue instead of deadlocking).

Allocation moves no money, so it writes no journal entry: it lowers a charge's open amount and a
credit's unapplied amount by the same figure, and the account's Debt and Deposit with them.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ardoise.ledger.errors import InvalidAllocation
from ardoise.ledger.models import (
    Account,
    Allocation,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
)
from ardoise.ledger.selectors import net_allocations
from ardoise.ledger.services import posting
from ardoise.shops.models import Shop


def charge_status(open_amount: int, total: int) -> str:
    if open_amount == 0:
        return ChargeStatus.PAID
    if open_amount == total:
        return ChargeStatus.OPEN
    return ChargeStatus.PARTIALLY_PAID


@dataclass
class Pair:
    credit: Credit
    charge: Charge
    amount: int


def write_allocations(
    *, shop_id: int, account_id: int, actor_id: int | None, pairs: Iterable[Pair]
) -> int:
    """Persist allocations (positive) or unallocations (negative) and every figure they touch."""
    rows: list[Allocation] = []
    charges: dict[int, Charge] = {}
    credits: dict[int, Credit] = {}
    total = 0
    for pair in pairs:
        if pair.amount == 0:
            continue
        pair.charge.open_amount -= pair.amount
        pair.charge.status = charge_status(pair.charge.open_amount, pair.charge.total)
        pair.credit.unapplied_amount -= pair.amount
        charges[pair.charge.pk] = pair.charge
        credits[pair.credit.pk] = pair.credit
        rows.append(
            Allocation(
                shop_id=shop_id,
                credit_id=pair.credit.pk,
                charge_id=pair.charge.pk,
                amount=pair.amount,
                actor_id=actor_id,
            )
        )
        total += pair.amount
    if not rows:
        return 0
    Allocation.objects.bulk_create(rows)
    _save(posting.UPDATE_CHARGE_OPEN, list(charges.values()))
    _save(posting.UPDATE_CREDIT_UNAPPLIED, list(credits.values()))
    posting.shift_overview(account_id, -total)
    return total


def _save(statement: posting.Written, rows: list[Any]) -> None:
    """One UPDATE for the figures of the changed rows (the statement's columns: the figures, then
    the id). The usual case, one row, is the written statement: `bulk_update` would build a CASE
    per field, at several times the CPU (this runs in every payment; see bench/posting.py)."""
    fields = statement.columns[:-1]
    if len(rows) == 1:
        posting.execute(statement, [*(getattr(rows[0], field) for field in fields), rows[0].pk])
    elif rows:
        statement.model._default_manager.bulk_update(rows, fields)


def _earmark_matches(credit: Credit, charge: Charge) -> bool:
    return credit.earmark in {charge.earmark, f"charge:{charge.pk}"} and bool(credit.earmark)


def auto_apply(
    account: Account,
    actor_id: int | None,
    *,
    moved: posting.Moved | None = None,
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
    return apply_credits(
        shop_id=account.shop_id,
        account_id=account.pk,
        actor_id=actor_id,
        automatic=automatic.get(),
        document=document,
    )


def apply_credits(
    *,
    shop_id: int,
    account_id: int,
    actor_id: int | None,
    automatic: bool,
    document: Charge | Credit | None = None,
) -> int:
    """Apply unapplied credits to open charges; returns the amount allocated.

    Earmarked credits go to their charge first, whatever the shop's setting. With `automatic`,
    the other credits (oldest first) then settle the oldest open charges. An earmarked credit
    whose charge exists but is settled or void no longer waits for it. `document`, a charge or
    credit the caller holds (written in this transaction), is the instance updated in place.
    """
    locked = _lock_for_applying(account_id, automatic=automatic, document=document)
    if locked is None:
        return 0
    credits, charges = locked
    pairs = _plan_allocations(credits, charges, account_id=account_id, automatic=automatic)
    return write_allocations(shop_id=shop_id, account_id=account_id, actor_id=actor_id, pairs=pairs)


def _lock_for_applying(
    account_id: int, *, automatic: bool, document: Charge | Credit | None
) -> tuple[list[Credit], list[Charge]] | None:
    """The account's unapplied credits and open charges (oldest first), locked; None when
    nothing can be applied (the charges are then neither read nor locked)."""
    credits = list(
        Credit.objects.raw(
            posting.locked(posting.UNAPPLIED_CREDITS), [account_id, CreditStatus.ACTIVE]
        )
    )
    if isinstance(document, Credit):
        credits = [document if credit.pk == document.pk else credit for credit in credits]
    if not credits:
        return None
    if not automatic and not any(credit.earmark for credit in credits):
        return None
    charges = list(
        Charge.objects.raw(posting.locked(posting.OPEN_CHARGES), [account_id, ChargeStatus.VOID])
    )
    if not charges:
        return None
    if isinstance(document, Charge):
        charges = [document if charge.pk == document.pk else charge for charge in charges]
    charges.sort(key=lambda charge: (charge.issued_on, charge.pk))
    return credits, charges


@dataclass
class _Plan:
    """The allocations decided so far, and what each charge still has open after them."""

    remaining_open: dict[int, int]
    pairs: list[Pair] = field(default_factory=list)

    def settle(self, credit: Credit, available: int, candidates: list[Charge]) -> int:
        """Spend `available` of `credit` on `candidates` in order; returns what is left."""
        for charge in candidates:
            if available == 0:
                break
            amount = min(available, self.remaining_open[charge.pk])
            if amount > 0:
                self.pairs.append(Pair(credit, charge, amount))
                self.remaining_open[charge.pk] -= amount
                available -= amount
        return available


def _plan_allocations(
    credits: list[Credit], charges: list[Charge], *, account_id: int, automatic: bool
) -> list[Pair]:
    plan = _Plan(remaining_open={charge.pk: charge.open_amount for charge in charges})
    left: dict[int, int] = {}
    for credit in credits:
        available = credit.unapplied_amount
        if credit.earmark:
            targets = [charge for charge in charges if _earmark_matches(credit, charge)]
            available = plan.settle(credit, available, targets)
        left[credit.pk] = available

    if automatic:
        for credit in credits:
            if left[credit.pk] == 0:
                continue
            if credit.earmark and _earmark_is_waiting(
                credit, account_id, charges, plan.remaining_open
            ):
                continue
            left[credit.pk] = plan.settle(credit, left[credit.pk], charges)
    return plan.pairs


def apply_credit_to(
    *,
    shop_id: int,
    account_id: int,
    actor_id: int | None,
    credit: Credit,
    charge_ids: Sequence[int],
) -> int:
    """Apply a new credit to the given charges first, in the order given, up to their open
    amounts; returns the amount allocated. Charges settled or void meanwhile are skipped; a
    charge of another account is refused. Locks the charges in ascending id order.
    """
    wanted = list(dict.fromkeys(charge_ids))
    locked = {
        charge.pk: charge
        for charge in Charge.objects.select_for_update().filter(pk__in=wanted).order_by("id")
    }
    if len(locked) != len(wanted) or any(c.account_id != account_id for c in locked.values()):
        raise InvalidAllocation()
    available = credit.unapplied_amount
    pairs: list[Pair] = []
    for charge_id in wanted:
        charge = locked[charge_id]
        amount = min(available, charge.open_amount)
        if charge.status == ChargeStatus.VOID or amount <= 0:
            continue
        pairs.append(Pair(credit, charge, amount))
        available -= amount
    return write_allocations(shop_id=shop_id, account_id=account_id, actor_id=actor_id, pairs=pairs)


def _earmark_is_waiting(
    credit: Credit, account_id: int, open_charges: Sequence[Charge], remaining_open: dict[int, int]
) -> bool:
    """An earmark waits while its charge is open or not yet posted (an undelivered order).

    "Open" counts what the current pass has already settled (`remaining_open`): the database
    still shows the open amount until the pass is written, and reading it there kept the rest of
    a deposit away from older charges until some later event, with Debt and Deposit both above
    zero under automatic allocation.
    """
    if any(
        _earmark_matches(credit, charge) and remaining_open[charge.pk] > 0
        for charge in open_charges
    ):
        return True
    # No matching charge is open (every open charge is in `open_charges`): the earmark waits
    # only for a charge not posted yet.
    charges = Charge.objects.filter(account_id=account_id)
    if credit.earmark.startswith("charge:"):
        charge_id = credit.earmark.removeprefix("charge:")
        target = charges.filter(pk=int(charge_id)) if charge_id.isdigit() else charges.none()
        return not target.exists()
    return not charges.filter(earmark=credit.earmark).exists()


def release_all(
    *,
    shop_id: int,
    account_id: int,
    actor_id: int | None,
    charge: Charge | None = None,
    credit: Credit | None = None,
) -> int:
    """Undo every allocation of one charge or one credit (before voiding it)."""
    nets = net_allocations(
        charge_id=charge.pk if charge else None, credit_id=credit.pk if credit else None
    )
    if not nets:
        return 0
    credit_ids = sorted({credit_id for credit_id, _ in nets})
    charge_ids = sorted({charge_id for _, charge_id in nets})
    charges = {
        row.pk: row
        for row in Charge.objects.select_for_update().filter(pk__in=charge_ids).order_by("id")
    }
    credits = {
        row.pk: row
        for row in Credit.objects.select_for_update().filter(pk__in=credit_ids).order_by("id")
    }
    if charge is not None:
        charges[charge.pk] = charge
    if credit is not None:
        credits[credit.pk] = credit
    pairs = [
        Pair(credits[credit_id], charges[charge_id], -net)
        for (credit_id, charge_id), net in sorted(nets.items())
    ]
    return -write_allocations(
        shop_id=shop_id, account_id=account_id, actor_id=actor_id, pairs=pairs
    )
