"""Reservations: part of what a customer can spend, held for an online order or its checkout.

A reservation is not a posting: Balance, Debt and Deposit do not change, no journal entry is
written. `Account.reserved` (the sum of held reservations) does, and the limit guard of every
charge counts it (`posting.MOVE_GUARDED`), so what one order holds no other order, till or tab
can spend (DESIGN.md rule 8).

- `reserve` raises `reserved` by ONE guarded UPDATE of the account row (DESIGN.md rule 5), then
  writes the held row. The guard is the credit limit in force (`WITHIN_LIMIT`, the default), an
  explicit floor (0: only the positive balance may be used), or none (`floor=None`: the money is
  already in, as when a paid checkout moves its order's hold to the order total).
- `release` (cancelled, declined, expired) and `consume` (delivered: the charge takes the hold's
  place, in the same transaction) close the held row by one conditional UPDATE and lower
  `reserved` by its amount.

All three are keyed by `reference` ("order:12"): at most one held reservation per reference and
shop. `reserve` again with the same reference and amount gives the held row back; another amount
is refused (`ReservationConflict`). `release` or `consume` of a reference that holds nothing
returns None and writes nothing, so running either twice is harmless. Each writes its audit event
in the transaction; each is composable (`posting.composable()`).

Locks: `reserve` locks the account row (its UPDATE) before it writes the row; `release` and
`consume` lock the reservation row (the claim), then the account row. Callers that both release
and reserve one reference (an order's checkout paid) lock the order first, so they queue.
"""

import datetime as dt
from typing import Final, Literal

from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.ledger.errors import NotEnoughToReserve, ReservationConflict
from ardoise.ledger.models import Account, Reservation, ReservationStatus
from ardoise.ledger.services import posting
from ardoise.shops.models import User

WITHIN_LIMIT: Final = "limit"
Floor = int | None | Literal["limit"]
MAX_REFERENCE_LENGTH = 60


def _reference(reference: str) -> str:
    if not reference or len(reference) > MAX_REFERENCE_LENGTH:
        raise ValueError(f"a reservation reference of 1 to {MAX_REFERENCE_LENGTH} characters")
    return reference


def reserve(
    *,
    account: Account,
    amount: int,
    reference: str,
    floor: Floor = WITHIN_LIMIT,
    expires_at: dt.datetime | None = None,
    actor: User | None = None,
) -> Reservation:
    """Hold `amount` of what `account` can spend for `reference`.

    Admitted only if `balance - reserved - amount >= -floor` after the UPDATE's own read of the
    row (floor: the credit limit in force by default, no guard when the limit is None; an
    integer floor, 0 for the positive balance only; None, no guard); refused with
    `NotEnoughToReserve`, nothing written. Idempotent by reference (see the module docstring).
    """
    amount = posting.positive_amount(amount)
    reference = _reference(reference)
    actor_id = posting.actor_id(actor)
    with posting.composable():
        held = Reservation.objects.filter(
            shop_id=account.shop_id, reference=reference, status=ReservationStatus.HELD
        ).first()
        if held is not None:
            if held.account_id != account.pk or held.amount != amount:
                raise ReservationConflict()
            return held
        if floor == WITHIN_LIMIT:
            row = posting.execute(posting.RESERVE_WITHIN_LIMIT, [amount, account.pk, amount])
        elif floor is None:
            row = posting.execute(posting.RESERVE, [amount, account.pk])
        else:
            floor = posting.positive_amount(floor, name="floor", allow_zero=True)
            row = posting.execute(posting.RESERVE_WITHIN_FLOOR, [amount, account.pk, amount, floor])
        if row is None:
            raise NotEnoughToReserve()
        reservation = Reservation.objects.create(
            shop_id=account.shop_id,
            account_id=account.pk,
            amount=amount,
            reference=reference,
            expires_at=expires_at,
        )
        record_event(
            shop_id=account.shop_id,
            actor_id=actor_id,
            action="ledger.reservation.held",
            target=reservation,
            data={"amount": amount, "reference": reference, "reserved_after": row[2]},
        )
    return reservation


def _close(
    *, account: Account, reference: str, status: str, actor: User | None
) -> Reservation | None:
    reference = _reference(reference)
    now = timezone.now()
    with posting.composable():
        claimed = posting.execute(
            posting.CLOSE_RESERVATION,
            [status, now, account.shop_id, account.pk, reference, ReservationStatus.HELD],
        )
        if claimed is None:
            return None
        reservation_id, amount = claimed
        row = posting.execute(posting.RESERVE, [-amount, account.pk])
        assert row is not None
        reservation = Reservation.objects.get(pk=reservation_id)
        record_event(
            shop_id=account.shop_id,
            actor_id=posting.actor_id(actor),
            action=f"ledger.reservation.{status}",
            target=reservation,
            data={"amount": amount, "reference": reference, "reserved_after": row[2]},
        )
    return reservation


def release(*, account: Account, reference: str, actor: User | None = None) -> Reservation | None:
    """Give back what `reference` holds (cancelled, declined, expired): the released row, or
    None when nothing was held (already released or consumed: nothing written)."""
    return _close(
        account=account, reference=reference, status=ReservationStatus.RELEASED, actor=actor
    )


def consume(*, account: Account, reference: str, actor: User | None = None) -> Reservation | None:
    """Close what `reference` holds because its charge is being posted, in the caller's
    transaction (the charge's guard then finds the hold turned into the charge): the consumed
    row, or None when nothing was held."""
    return _close(
        account=account, reference=reference, status=ReservationStatus.CONSUMED, actor=actor
    )


def held_for(*, account: Account, reference: str) -> Reservation | None:
    """The held reservation of `reference` on `account`, if any (a read, for callers)."""
    return Reservation.objects.filter(
        shop_id=account.shop_id,
        account_id=account.pk,
        reference=reference,
        status=ReservationStatus.HELD,
    ).first()
