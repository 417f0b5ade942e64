"""Credits: payments, top-ups, credit adjustments and credit notes (refunds of a charge)."""

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.core import inserts
from ardoise.core.money import format_money
from ardoise.ledger.errors import CreditNoteTooLarge, InvalidAmount, RefundMustGoToAccount
from ardoise.ledger.models import (
    Account,
    Charge,
    ChargeStatus,
    Credit,
    CreditKind,
    CreditStatus,
    EntryKind,
)
from ardoise.ledger.selectors import refund_minimum_to_account
from ardoise.ledger.services import idempotency, matching, posting
from ardoise.ledger.services.posting import ACCOUNT_MODE, ADJUSTMENTS, SALES, VAT
from ardoise.shops.models import User


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
    amount = posting.positive_amount(amount)
    when = posting.occurred(occurred_at)
    actor_id = posting.actor_id(actor)
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
    with posting.composable():
        claim = idempotency.claim(
            shop_id=account.shop_id,
            key=idempotency_key,
            operation=f"record_{kind}",
            params=params,
        )
        if claim.replay_of is not None:
            return Credit.objects.get(pk=claim.replay_of)
        moved = posting.move(account.pk, deposit=amount)
        entry_kind = {
            CreditKind.PAYMENT: EntryKind.PAYMENT,
            CreditKind.TOP_UP: EntryKind.TOP_UP,
            CreditKind.ADJUSTMENT: EntryKind.CREDIT_ADJUSTMENT,
        }[CreditKind(kind)]
        entry = posting.post_entry(
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
        credit = inserts.create(
            Credit,
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
            matching.apply_credit_to(
                shop_id=account.shop_id,
                account_id=account.pk,
                actor_id=actor_id,
                credit=credit,
                charge_ids=target_ids,
            )
        matching.auto_apply(account, actor_id, moved=moved, document=credit)
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
        counter=posting.counter_for_mode(posting.payment_mode(mode)),
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
        counter=posting.counter_for_mode(posting.payment_mode(mode)),
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
    reason = posting.required_reason(reason)
    with transaction.atomic(durable=True):
        return _record_credit(
            account=account,
            kind=CreditKind.ADJUSTMENT,
            amount=amount,
            counter=ADJUSTMENTS,
            reason=reason,
            idempotency_key=idempotency_key,
            actor=actor,
            received_on=None,
            occurred_at=occurred_at,
        )


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
    amount = posting.positive_amount(amount)
    reason = posting.required_reason(reason)
    if refund_mode != ACCOUNT_MODE:
        posting.payment_mode(refund_mode)
    when = posting.occurred(occurred_at)
    actor_id = posting.actor_id(actor)
    with posting.composable():
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
        to_account = posting.positive_amount(to_account, name="to_account", allow_zero=True)
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
        moved = posting.move(account.pk, deposit=to_account) if to_account else None
        counters = {SALES: -(amount - vat), VAT: -vat}
        if payout:
            counters[posting.counter_for_mode(refund_mode)] = payout
        entry = posting.post_entry(
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
            matching.write_allocations(
                shop_id=charge.shop_id,
                account_id=account.pk,
                actor_id=actor_id,
                pairs=[matching.Pair(credit, locked, minimum)],
            )
        matching.auto_apply(account, actor_id, document=credit)
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


def lift_earmark(*, account: Account, earmark: str, actor: User | None) -> int:
    """Credits kept for `earmark` stop waiting for it: a deposit or an online payment for an
    order that was cancelled becomes an ordinary credit of the account, applied like any other
    (at once when the shop applies credits automatically). Returns the unapplied amount freed;
    writes nothing when no credit waits for `earmark`.

    Composed by `invoicing.cancel_order` in its transaction. Locks the account row, then the
    credits in ascending id order. No money moves: no journal entry, Balance, Debt and Deposit
    unchanged until the allocation that may follow.
    """
    if not earmark:
        return 0
    waiting = Credit.objects.filter(
        shop_id=account.shop_id,
        account_id=account.pk,
        earmark=earmark,
        status=CreditStatus.ACTIVE,
        unapplied_amount__gt=0,
    )
    with posting.composable():
        if not waiting.exists():
            return 0
        Account.objects.select_for_update().filter(pk=account.pk).first()
        locked = list(waiting.select_for_update().order_by("id"))
        freed = sum(credit.unapplied_amount for credit in locked)
        Credit.objects.filter(pk__in=[credit.pk for credit in locked]).update(earmark="")
        actor_id = posting.actor_id(actor)
        matching.auto_apply(account, actor_id)
        record_event(
            shop_id=account.shop_id,
            actor_id=actor_id,
            action="ledger.earmark.lifted",
            target=account,
            data={"earmark": earmark, "amount": freed, "credits": [c.pk for c in locked]},
        )
    return freed
