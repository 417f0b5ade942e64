"""Refunding a sale paid online to the payer's card, through the provider that took the money.

`request_online_refund` records the request (a `ProviderRefund`) and enqueues the call to the
provider after its commit; the credit note is issued only when the provider confirms
(`refunding`). Nothing reaches the ledger before that, so a refund the provider refuses, or
never answers, leaves the sale, the account and the Payments page as they were.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Sum

from ardoise.audit.services import record_event
from ardoise.core.money import format_money
from ardoise.ledger.errors import (
    CreditNoteTooLarge,
    IdempotencyConflict,
    InvalidAmount,
    RefundMustGoToAccount,
)
from ardoise.ledger.models import Allocation, Charge, ChargeStatus
from ardoise.ledger.selectors import refund_minimum_to_account
from ardoise.ledger.services.posting import positive_amount, required_reason
from ardoise.payments.errors import (
    NothingToPayOut,
    NotPaidOnline,
    RefundAboveOnlinePayment,
    RefundInProgress,
)
from ardoise.payments.models import (
    Checkout,
    ProviderRefund,
    RefundStatus,
)
from ardoise.payments.providers.registry import shop_provider
from ardoise.payments.tasks import send_refund_task
from ardoise.shops.models import User


@dataclass(frozen=True)
class RefundableCheckout:
    checkout: Checkout
    provider_label: str
    refundable: int  # what can still go back to the card (minor units)


def refundable_checkout(charge: Charge) -> RefundableCheckout | None:
    """The paid online checkout whose payment settled (part of) `charge`, with what can still be
    given back through its provider; None when the sale was not paid online through a provider
    the shop still has set up, or when all of it went back already."""
    credit_ids = Allocation.objects.filter(charge_id=charge.pk).values_list("credit_id")
    # Any checkout whose payment was recorded: approved, or paid late and kept closed because
    # another checkout held its reference (`payments.late`).
    checkouts = Checkout.objects.filter(
        shop_id=charge.shop_id,
        account_id=charge.account_id,
        credit_id__in=credit_ids,
    ).order_by("-completed_at", "-id")
    for checkout in checkouts:
        provider = shop_provider(checkout.shop_id, checkout.provider)
        if provider is None:
            continue
        given = (
            ProviderRefund.objects.filter(checkout=checkout)
            .exclude(status=RefundStatus.REFUSED)
            .aggregate(total=Sum("payout"))["total"]
            or 0
        )
        if checkout.amount - given > 0:
            return RefundableCheckout(checkout, str(provider.label), checkout.amount - given)
    return None


def _payout(charge: Charge, amount: int, to_account: int | None) -> int:
    """What goes back to the card: the amount less what must go back to the account."""
    if charge.status == ChargeStatus.VOID or amount > charge.creditable_amount:
        raise CreditNoteTooLarge()
    minimum = refund_minimum_to_account(charge, amount)
    to_account = minimum if to_account is None else to_account
    if to_account < minimum:
        raise RefundMustGoToAccount(minimum=format_money(minimum, charge.account.currency))
    if to_account > amount:
        raise InvalidAmount()
    if amount - to_account <= 0:
        raise NothingToPayOut()
    return amount - to_account


def request_online_refund(
    *,
    charge: Charge,
    amount: int,
    reason: str,
    to_account: int | None,
    idempotency_key: str,
    actor: User | None,
) -> ProviderRefund:
    """Ask for `amount` of a sale back, its paid part to the card it was paid by online.

    Refused before anything is written when the sale was not paid online, when the amount is
    more than the sale has left or than the payment can give back, or while another refund of
    the sale waits for its provider (one at a time, by a partial unique constraint). On a sale
    not fully paid, the unpaid part goes back to the account (`to_account`, at least that
    much). Same key, same request: the first refund comes back; same key, another request:
    `IdempotencyConflict`, as on every keyed form. Enqueues the provider call after the commit.
    """
    amount = positive_amount(amount)
    reason = required_reason(reason)
    existing = ProviderRefund.objects.filter(
        shop_id=charge.shop_id, idempotency_key=idempotency_key
    ).first()
    if existing is not None:
        if (existing.charge_id, existing.amount) != (charge.pk, amount):
            raise IdempotencyConflict()
        return existing
    current = Charge.objects.get(pk=charge.pk)
    payout = _payout(current, amount, to_account)
    refundable = refundable_checkout(current)
    if refundable is None:
        raise NotPaidOnline()
    if payout > refundable.refundable:
        raise RefundAboveOnlinePayment(
            maximum=format_money(refundable.refundable, refundable.checkout.currency)
        )
    try:
        # durable: the request is committed before the provider is called (by the task).
        with transaction.atomic(durable=True):
            refund = ProviderRefund.objects.create(
                shop_id=charge.shop_id,
                checkout=refundable.checkout,
                charge=current,
                amount=amount,
                payout=payout,
                reason=reason,
                idempotency_key=idempotency_key,
                actor=actor,
            )
            record_event(
                shop_id=charge.shop_id,
                actor_id=actor.pk if actor else None,
                action="payments.refund.requested",
                target=refund,
                data={"charge": current.pk, "amount": amount, "payout": payout},
            )
            transaction.on_commit(lambda: send_refund_task.enqueue(refund.pk))
    except IntegrityError as error:
        twin = ProviderRefund.objects.filter(
            shop_id=charge.shop_id, idempotency_key=idempotency_key
        ).first()
        if twin is not None and (twin.charge_id, twin.amount) == (charge.pk, amount):
            return twin  # the same form posted twice at once
        raise RefundInProgress() from error
    return refund


def refunds_of(charge: Charge) -> list[ProviderRefund]:
    return list(ProviderRefund.objects.filter(shop_id=charge.shop_id, charge=charge).order_by("id"))
