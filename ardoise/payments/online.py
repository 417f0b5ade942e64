"""Online checkouts through a payment provider. Money is written only through `ledger.services`.

A confirmation from the provider is stored raw, unique per (provider, event id), before it is
handled; a confirmed checkout records exactly one payment (its idempotency key is derived from
the checkout), so a replayed webhook or a second browser tab records nothing more. An approval
for a checkout that ended unpaid here (expired, cancelled) is recorded late, by the same path
and key (`payments.late`).
"""

import datetime as dt
import logging
from collections.abc import Mapping, Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from ardoise.audit.services import record_event
from ardoise.invoicing.models import Order
from ardoise.ledger.models import Account, Charge, Credit, CreditStatus
from ardoise.payments import late, outcomes
from ardoise.payments.deposits import spend_credits_on
from ardoise.payments.errors import ChargesBeingPaid
from ardoise.payments.models import (
    LATE_STATUSES,
    Checkout,
    CheckoutPurpose,
    CheckoutStatus,
    OnlinePaymentSettings,
    ProviderEvent,
)
from ardoise.payments.providers.base import (
    PaymentProvider,
    ProviderError,
    ProviderStatus,
    checkout_reference,
)
from ardoise.payments.providers.registry import get_provider, shop_provider
from ardoise.payments.selectors import live_checkout, online_provider_for
from ardoise.shops.models import User

logger = logging.getLogger(__name__)


class OnlinePaymentUnavailable(Exception):
    """The shop takes no online payment, or the provider could not open a checkout."""


def set_online_provider(*, shop_id: int, provider: str, actor: User | None) -> None:
    """Choose the provider of the shop's online payments ("" switches them off)."""
    if provider and shop_provider(shop_id, provider) is None:
        raise ProviderError(f"payment provider {provider!r} is not set up for this shop")
    # savepoint=False: composed inside update_statement_settings's transaction.
    with transaction.atomic(savepoint=False):
        OnlinePaymentSettings.objects.update_or_create(
            shop_id=shop_id, defaults={"provider": provider}
        )
        record_event(
            shop_id=shop_id,
            actor_id=actor.pk if actor else None,
            action="payments.online_provider.changed",
            data={"provider": provider},
        )


def start_checkout(
    *,
    account: Account,
    amount: int,
    reference: str,
    charge_ids: Sequence[int],
    return_url: str,
    credit_ids: Sequence[int] = (),
    label: str = "",
    purpose: str = CheckoutPurpose.STATEMENT,
) -> Checkout:
    """Open (or reuse) the one live checkout for `reference` and return it.

    `reference` is an internal key (one live checkout each); `label` is what the customer's
    account shows for the payment. `credit_ids` are credits the payer counted against
    `charge_ids` (a statement's unapplied credits): they settle those charges with the payment.

    A second call while a checkout is pending or approved returns that checkout (two tabs pay
    through one checkout; a paid reference cannot be paid again). A checkout pending for some of
    the same charges under another reference (two statements listing one invoice) refuses this
    one, `ChargesBeingPaid`, for `PENDING_HOLD` after it started: starts on one account queue on
    its row, so two started at once cannot both pass. The provider is called after the row is
    committed, never inside a transaction; if it fails, the checkout is declined and
    `OnlinePaymentUnavailable` raised.
    """
    provider = online_provider_for(account.shop_id)
    if provider is None:
        raise OnlinePaymentUnavailable()
    try:
        # durable: the row is committed before the provider is called, never inside a caller's.
        with transaction.atomic(durable=True):
            Account.objects.select_for_update().filter(pk=account.pk).first()
            checkout = new_checkout(
                account=account,
                provider_code=provider.code,
                amount=amount,
                reference=reference,
                charge_ids=charge_ids,
                credit_ids=credit_ids,
                label=label,
                return_url=return_url,
                purpose=purpose,
            )
    except IntegrityError:
        existing = live_checkout(shop_id=account.shop_id, reference=reference)
        if existing is None:  # the live one ended in between: start afresh
            return start_checkout(
                account=account,
                amount=amount,
                reference=reference,
                charge_ids=charge_ids,
                return_url=return_url,
                credit_ids=credit_ids,
                label=label,
                purpose=purpose,
            )
        payer_sent_again(existing)
        return existing
    return connect_checkout(checkout, provider)


def payer_sent_again(checkout: Checkout) -> None:
    """The payer is sent to the provider's page of a checkout already pending (a second "Pay"):
    the first view when they come back asks the provider at once, however recently a page
    asked (`handling.refresh_live_checkout`, which otherwise asks once per `PAGE_ASKS_EVERY`)."""
    Checkout.objects.filter(pk=checkout.pk, status=CheckoutStatus.PENDING).update(
        last_asked_at=None
    )


def new_checkout(
    *,
    account: Account,
    provider_code: str,
    amount: int,
    reference: str,
    return_url: str,
    purpose: str,
    charge_ids: Sequence[int] = (),
    credit_ids: Sequence[int] = (),
    label: str = "",
    order: Order | None = None,
    expires_at: dt.datetime | None = None,
) -> Checkout:
    """The pending checkout row, written in the caller's transaction, which holds the account
    row's lock (so a checkout pending for some of the same charges refuses it: see
    `_refuse_charges_being_paid`); once that is committed, `connect_checkout` asks the provider
    for its page (never inside a transaction)."""
    _refuse_charges_being_paid(account, reference, charge_ids)
    return Checkout.objects.create(
        shop_id=account.shop_id,
        account=account,
        provider=provider_code,
        purpose=CheckoutPurpose(purpose),
        order=order,
        reference=reference,
        amount=amount,
        currency=account.currency,
        charge_ids=list(charge_ids),
        credit_ids=list(credit_ids),
        label=label[:60],
        return_url=return_url,
        expires_at=expires_at,
    )


def connect_checkout(checkout: Checkout, provider: PaymentProvider | None = None) -> Checkout:
    """Open the provider's hosted checkout for a committed pending row. If the provider fails,
    the checkout is declined (what its order held is released) and `OnlinePaymentUnavailable`
    raised."""
    if checkout.provider_checkout_id or checkout.status != CheckoutStatus.PENDING:
        return checkout
    try:
        provider = provider or shop_provider(checkout.shop_id, checkout.provider)
        if provider is None:
            raise ProviderError(f"{checkout.provider} is no longer set up for this shop")
        session = provider.create_checkout(
            amount=checkout.amount,
            currency=checkout.currency,
            reference=checkout_reference(checkout.pk),
            return_url=checkout.return_url,
            description=checkout.label or checkout.reference,
            expires_at=checkout.expires_at,
        )
    except ProviderError as error:
        logger.warning("checkout %s not opened by %s: %s", checkout.pk, checkout.provider, error)
        # durable: the provider call happened outside any transaction; this records its failure.
        with transaction.atomic(durable=True):
            failed = Checkout.objects.filter(pk=checkout.pk, status=CheckoutStatus.PENDING)
            if failed.update(
                status=CheckoutStatus.DECLINED,
                completed_at=timezone.now(),
                provider_error=str(error)[:200],
            ):
                outcomes.checkout_closed(checkout)
        raise OnlinePaymentUnavailable() from error
    checkout.provider_checkout_id = session.provider_checkout_id
    checkout.redirect_url = session.redirect_url
    checkout.save(update_fields=["provider_checkout_id", "redirect_url"])
    return checkout


# How long a pending checkout keeps others from paying its charges (a customer at the provider's
# page); after that it is taken as abandoned. A payment it still gets is recorded all the same,
# and an invoice paid twice leaves the excess on the customer's balance, never lost.
PENDING_HOLD = dt.timedelta(minutes=30)


def _refuse_charges_being_paid(account: Account, reference: str, charge_ids: Sequence[int]) -> None:
    if not charge_ids:
        return
    since = timezone.now() - PENDING_HOLD
    pending = Checkout.objects.filter(
        shop_id=account.shop_id,
        account=account,
        status=CheckoutStatus.PENDING,
        created_at__gte=since,
    ).exclude(reference=reference)
    wanted = set(charge_ids)
    if any(wanted & set(other.charge_ids) for other in pending):
        raise ChargesBeingPaid(minutes=int(PENDING_HOLD.total_seconds() // 60))


def receive_confirmation(
    *, provider_code: str, body: bytes, headers: Mapping[str, str]
) -> ProviderEvent:
    """Verify an inbound confirmation, store it raw, then handle it. Safe to replay.

    A confirmation that does not verify raises `InvalidConfirmation` and stores nothing. The
    raw event is committed first, unique per (provider, event id); a replay finds it and its
    handling, already done, changes nothing.
    """
    provider = get_provider(provider_code)
    confirmation = provider.parse_confirmation(body=body, headers=headers)
    checkout = Checkout.objects.filter(
        provider=provider.code, provider_checkout_id=confirmation.provider_checkout_id
    ).first()
    try:
        # durable: the raw event is committed first, on its own, before it is handled.
        with transaction.atomic(durable=True):
            event = ProviderEvent.objects.create(
                provider=provider.code,
                event_id=confirmation.event_id,
                payload=body.decode("utf-8", errors="replace"),
                signature=_signature(headers),
                shop_id=checkout.shop_id if checkout else None,
                checkout=checkout,
            )
    except IntegrityError:
        event = ProviderEvent.objects.get(provider=provider.code, event_id=confirmation.event_id)
    return _handle_event(
        event_pk=event.pk,
        status=confirmation.status,
        amount=confirmation.amount,
        currency=confirmation.currency,
        provider_checkout_id=confirmation.provider_checkout_id,
        provider_code=provider.code,
    )


def _signature(headers: Mapping[str, str]) -> str:
    for name, value in headers.items():
        if "signature" in name.lower():
            return value[:200]
    return ""


def _handle_event(
    *,
    event_pk: int,
    provider_code: str,
    provider_checkout_id: str,
    status: str,
    amount: int,
    currency: str,
) -> ProviderEvent:
    """One transaction: the checkout's outcome, the payment it records, the event handled.

    Locks the event row, then the checkout row, so two deliveries of one event, or two events
    for one checkout, are handled one after the other; only a pending checkout moves, or one
    that ended unpaid here and is approved after all (`payments.late`), and the payment's
    idempotency key is the checkout, so at most one payment per checkout.
    """
    with transaction.atomic(durable=True):
        event = ProviderEvent.objects.select_for_update().get(pk=event_pk)
        if event.handled_at is not None:
            return event
        checkout = (
            Checkout.objects.select_for_update()
            .filter(provider=provider_code, provider_checkout_id=provider_checkout_id)
            .first()
        )
        if checkout is None:
            outcome = "unknown_checkout"
        elif amount != checkout.amount or currency != checkout.currency:
            outcome = "amount_mismatch"
        elif checkout.status != CheckoutStatus.PENDING:
            outcome = _closed_outcome(checkout, status)
        elif status == ProviderStatus.PENDING:
            outcome = "still_pending"
        elif status != CheckoutStatus.APPROVED:
            expired = status == ProviderStatus.EXPIRED
            outcome = "expired" if expired else "declined"
            checkout.status = CheckoutStatus.EXPIRED if expired else CheckoutStatus.DECLINED
            checkout.completed_at = timezone.now()
            checkout.save(update_fields=["status", "completed_at"])
            outcomes.checkout_closed(checkout)
        else:
            outcome = _record_checkout_payment(checkout)
        if checkout is not None:
            event.shop_id, event.checkout = checkout.shop_id, checkout
        event.outcome = outcome
        event.handled_at = timezone.now()
        event.save(update_fields=["shop", "checkout", "outcome", "handled_at"])
    if outcome in {"unknown_checkout", "amount_mismatch"}:
        logger.warning("payment event %s not applied: %s", event.pk, outcome)
    return event


def _closed_outcome(checkout: Checkout, status: str) -> str:
    """What an event does to a checkout no longer pending: an approval of one that ended unpaid
    here (expired, cancelled) is recorded late; anything else changes nothing."""
    if status == ProviderStatus.APPROVED and late.can_pay_late(checkout):
        return _record_checkout_payment(checkout, paid_late=True)
    if checkout.status in LATE_STATUSES and checkout.credit_id is not None:
        return "already_recorded"  # paid late and kept closed: the money is on the balance
    return f"already_{checkout.status}"


def _record_checkout_payment(checkout: Checkout, *, paid_late: bool = False) -> str:
    """The payment, earmarked for the checkout's charges: whatever the shop's allocation
    setting, the credits the payer counted (`credit_ids`) and then the payment settle those
    charges, oldest first; only what is left goes to the balance (or, for an order, waits for
    its charge: `payments.outcomes`). An order's row is locked before the account's. A late
    payment (`paid_late`) is recorded by `payments.late`. Returns the event's outcome."""
    order = outcomes.lock_order(checkout)
    account = Account.objects.select_for_update().get(pk=checkout.account_id)
    charges = sorted(
        Charge.objects.filter(
            shop_id=checkout.shop_id, account_id=account.pk, pk__in=checkout.charge_ids
        ),
        key=lambda charge: (charge.issued_on, charge.pk),
    )
    _apply_counted_credits(checkout, charges)
    if paid_late:
        return late.record_late_payment(
            checkout=checkout, account=account, charges=charges, order=order
        )
    credit = outcomes.record_credit(
        checkout=checkout, account=account, charges=charges, order=order
    )
    checkout.status = CheckoutStatus.APPROVED
    checkout.credit = credit
    checkout.completed_at = timezone.now()
    checkout.save(update_fields=["status", "credit", "completed_at"])
    outcomes.after_payment(checkout=checkout, order=order)
    record_event(
        shop_id=checkout.shop_id,
        actor_id=None,
        action="payments.checkout.approved",
        target=checkout,
        data={"amount": checkout.amount, "credit": credit.pk, "reference": checkout.reference},
    )
    return "payment_recorded"


def _apply_counted_credits(checkout: Checkout, charges: list[Charge]) -> None:
    """Apply what is still unapplied of the checkout's credits to its charges, oldest first."""
    if not checkout.credit_ids or not charges:
        return
    credits = list(
        Credit.objects.select_for_update()
        .filter(
            account_id=checkout.account_id,
            pk__in=checkout.credit_ids,
            status=CreditStatus.ACTIVE,
            unapplied_amount__gt=0,
        )
        .order_by("id")
    )
    locked = {  # ascending ids, as the ledger locks
        charge.pk: charge
        for charge in Charge.objects.select_for_update()
        .filter(pk__in=[charge.pk for charge in charges])
        .order_by("id")
    }
    spend_credits_on(
        [locked[charge.pk] for charge in charges],
        credits,
        key_prefix=f"checkout:{checkout.pk}:credit",
        actor=None,
    )


__all__ = [
    "OnlinePaymentUnavailable",
    "connect_checkout",
    "new_checkout",
    "payer_sent_again",
    "receive_confirmation",
    "set_online_provider",
    "start_checkout",
]
