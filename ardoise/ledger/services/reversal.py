"""Reversal: cancelling a journal entry with its mirror image, and voiding its document."""

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.ledger.errors import AlreadyReversed, NotReversible
from ardoise.ledger.models import (
    Account,
    Charge,
    ChargeStatus,
    Credit,
    CreditStatus,
    EntryKind,
    JournalEntry,
)
from ardoise.ledger.services import idempotency, matching, posting
from ardoise.shops.models import User


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
    reason = posting.required_reason(reason)
    actor_id = posting.actor_id(actor)
    try:
        with posting.composable():
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
        # Two reversals of one entry at once: the unique `reverses` admits one (the account lock
        # taken first makes this the last line of defence). Composed in a caller's transaction,
        # which the error has spoilt, nothing more can be read: the caller fails with the error.
        spoilt = transaction.get_connection().needs_rollback
        if not spoilt and JournalEntry.objects.filter(reverses=entry).exists():
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
        matching.release_all(
            shop_id=entry.shop_id, account_id=account.pk, actor_id=actor_id, charge=charge
        )
        # The charge leaves Debt entirely: its open amount, now its whole total, goes to zero.
        moved = posting.move(account.pk, debt=-charge.open_amount)
        charge.open_amount = 0
        charge.status = ChargeStatus.VOID
        charge.save(update_fields=["open_amount", "status"])
    else:
        assert credit is not None
        credit = Credit.objects.select_for_update().get(pk=credit.pk)
        matching.release_all(
            shop_id=entry.shop_id, account_id=account.pk, actor_id=actor_id, credit=credit
        )
        moved = (
            posting.move(account.pk, deposit=-credit.unapplied_amount) if credit.amount else None
        )
        credit.unapplied_amount = 0
        credit.status = CreditStatus.VOID
        credit.save(update_fields=["unapplied_amount", "status"])
        if credit.against_charge_id is not None:
            target = Charge.objects.select_for_update().get(pk=credit.against_charge_id)
            target.credited_amount -= credit.total
            target.credited_vat_amount -= credit.vat_amount
            target.save(update_fields=["credited_amount", "credited_vat_amount"])
    reversal = posting.post_entry(
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
    matching.auto_apply(account, actor_id)
    record_event(
        shop_id=entry.shop_id,
        actor_id=actor_id,
        action="ledger.entry.reversed",
        target=entry,
        data={"reversal": reversal.pk, "reason": reason, "amount": -customer_amount},
    )
    return reversal
