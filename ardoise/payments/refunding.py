"""What the worker does with a refund asked in the back office: ask the provider, then record
it in the ledger only once the provider confirms.

- `send_refund`: claims the refund with one conditional UPDATE (`sent_at`), so that the provider
  is asked once whatever runs it twice, then asks it, outside any transaction.
- `settle_refund`: a refund whose answer was lost (a timeout) or not final (Stripe's
  "pending") is read back from the provider, never sent again blindly: SumUp's refund has no
  idempotency key, so SumUp's transaction is read to learn whether it happened; Stripe's is asked
  again with the same idempotency key, which answers with the first one's result.
- `record_confirmed`: one transaction: the credit note through the ledger (mode "online", the
  payout to the card, the unpaid part to the account), keyed by the refund, and the refund row
  confirmed with its audit event. A ledger that refuses then (the sale was refunded another way
  meanwhile) leaves the refund confirmed without a credit note: the reconciliation page shows
  it, since the money did go back.
"""

import datetime as dt
import logging

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.ledger import services as ledger
from ardoise.ledger.errors import LedgerError
from ardoise.payments.models import BuiltInMode, ProviderRefund, RefundStatus
from ardoise.payments.providers.base import (
    PaymentProvider,
    RefundOutcome,
    RefundResult,
    refund_reference,
)
from ardoise.payments.providers.registry import shop_provider

logger = logging.getLogger(__name__)

SETTLE_AFTER = dt.timedelta(minutes=1)


def _provider(refund: ProviderRefund) -> PaymentProvider | None:
    return shop_provider(refund.shop_id, refund.checkout.provider)


def send_refund(refund_id: int) -> ProviderRefund:
    """Ask the provider for one requested refund, once."""
    claimed = ProviderRefund.objects.filter(
        pk=refund_id, status=RefundStatus.REQUESTED, sent_at__isnull=True
    ).update(sent_at=timezone.now())
    refund = ProviderRefund.objects.select_related("checkout").get(pk=refund_id)
    if not claimed:
        return refund  # sent already: only ever read back now (settle_refund)
    provider = _provider(refund)
    if provider is None:
        return _apply(refund, RefundResult(RefundOutcome.REFUSED, message="no provider"))
    result = provider.refund(
        provider_checkout_id=refund.checkout.provider_checkout_id,
        amount=refund.payout,
        currency=refund.checkout.currency,
        reference=refund_reference(refund.pk),
    )
    return _apply(refund, result)


def settle_refund(refund_id: int) -> ProviderRefund:
    """Read back a refund that was sent and is neither confirmed nor refused."""
    refund = ProviderRefund.objects.select_related("checkout").get(pk=refund_id)
    if refund.status != RefundStatus.REQUESTED:
        return refund
    if refund.sent_at is None:
        return send_refund(refund_id)
    provider = _provider(refund)
    if provider is None:
        return refund
    before = (
        ProviderRefund.objects.filter(checkout_id=refund.checkout_id, status=RefundStatus.CONFIRMED)
        .exclude(pk=refund.pk)
        .aggregate(total=Sum("payout"))["total"]
        or 0
    )
    result = provider.read_refund(
        provider_checkout_id=refund.checkout.provider_checkout_id,
        provider_refund_id=refund.provider_refund_id,
        reference=refund_reference(refund.pk),
        amount=refund.payout,
        refunded_before=before,
    )
    return _apply(refund, result)


def _apply(refund: ProviderRefund, result: RefundResult) -> ProviderRefund:
    if result.outcome == RefundOutcome.CONFIRMED:
        return record_confirmed(refund.pk, provider_refund_id=result.provider_refund_id)
    if result.outcome == RefundOutcome.REFUSED:
        with transaction.atomic(durable=True):
            changed = ProviderRefund.objects.filter(
                pk=refund.pk, status=RefundStatus.REQUESTED
            ).update(
                status=RefundStatus.REFUSED,
                message=result.message[:200],
                provider_refund_id=result.provider_refund_id or refund.provider_refund_id,
                completed_at=timezone.now(),
            )
            if changed:
                record_event(
                    shop_id=refund.shop_id,
                    actor_id=None,
                    action="payments.refund.refused",
                    target=refund,
                    data={"amount": refund.payout, "message": result.message[:200]},
                )
        logger.warning("refund %s refused by the provider: %s", refund.pk, result.message)
    else:
        ProviderRefund.objects.filter(pk=refund.pk, status=RefundStatus.REQUESTED).update(
            provider_refund_id=result.provider_refund_id or refund.provider_refund_id,
            message=result.outcome,
        )
    refund.refresh_from_db()
    return refund


def record_confirmed(refund_id: int, *, provider_refund_id: str) -> ProviderRefund:
    """The provider confirmed: the credit note, once, with the refund confirmed."""
    with transaction.atomic(durable=True):
        refund = (
            ProviderRefund.objects.select_for_update().select_related("charge").get(pk=refund_id)
        )
        if refund.status != RefundStatus.REQUESTED:
            return refund
        credit = None
        try:
            with transaction.atomic():  # a refusal rolls back the ledger's part only
                credit = ledger.issue_credit_note(
                    charge=refund.charge,
                    amount=refund.amount,
                    reason=refund.reason,
                    idempotency_key=f"provider-refund:{refund.pk}",
                    actor=refund.actor,
                    refund_mode=BuiltInMode.ONLINE,
                    to_account=refund.amount - refund.payout,
                )
        except LedgerError as error:
            refund.message = f"refunded by the provider, refused by the ledger: {error}"[:200]
            logger.error("refund %s confirmed but not recorded: %s", refund.pk, error)
        refund.status = RefundStatus.CONFIRMED
        refund.credit = credit
        refund.provider_refund_id = provider_refund_id or refund.provider_refund_id
        refund.completed_at = timezone.now()
        refund.save(
            update_fields=["status", "credit", "provider_refund_id", "completed_at", "message"]
        )
        record_event(
            shop_id=refund.shop_id,
            actor_id=None,
            action="payments.refund.confirmed",
            target=refund,
            data={"amount": refund.payout, "credit": credit.pk if credit else None},
        )
    return refund


def open_refunds(*, older_than: dt.datetime) -> list[int]:
    """Refunds still waiting for an answer, asked before `older_than`."""
    return list(
        ProviderRefund.objects.filter(
            status=RefundStatus.REQUESTED, created_at__lt=older_than
        ).values_list("pk", flat=True)
    )
