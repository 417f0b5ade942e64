"""What the worker does with what a real provider says: after the raw notification is stored.

Everything here runs outside any transaction: the provider is called first (never inside a
transaction, DESIGN.md rule 7), then what it said is recorded through the one path that records
a checkout's outcome, `online._handle_event` (it locks the event, then the checkout, moves only
a pending checkout, and keys the payment by the checkout: one payment per checkout, whoever
calls and however often).

- `handle_notification`: one stored notification. A SumUp one names a checkout only: the
  checkout is read from SumUp's API, and that answer is what is recorded. A Stripe one carries
  the signed session: its status, amount and currency are recorded as they are.
- `refresh_checkout`: the payer came back from the provider's page, or the reconciliation asks:
  the checkout is read from the API, and a final status is stored as an observation
  (`ProviderEvent` "read:<checkout>:<status>", raw answer included, unique like any event), then
  recorded the same way. A checkout that ended unpaid here (expired, cancelled) is asked too,
  for a while: only an approval is then stored, and recorded late (`payments.late`).
"""

import datetime as dt
import logging

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from ardoise.core.http import while_a_page_waits
from ardoise.payments.late import can_pay_late, latest_closed
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderAccount, ProviderEvent
from ardoise.payments.online import _handle_event
from ardoise.payments.providers.base import (
    CheckoutState,
    PaymentProvider,
    ProviderError,
    ProviderStatus,
)
from ardoise.payments.providers.registry import provider_for_account, shop_provider
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.payments.selectors import live_checkout

logger = logging.getLogger(__name__)

# How long after a checkout ended unpaid here the provider is still asked whether it was paid
# after all (by the payer's return and by the reconciliation): every provider has ended its
# checkout by then (reconciliation.STUCK_AFTER).
LATE_ASKED_FOR = dt.timedelta(hours=2)

# How often the customer's pages (return, statement, order) may ask the provider about one
# checkout. The first view asks at once (the payer back from the provider's page sees the
# outcome), views in the next 20 s show what Ardoise knows: a customer reloading, a statement
# link opened many times or a crawler then make at most 3 calls a minute per checkout, far below
# SumUp's and Stripe's rate limits, and a payment taken meanwhile shows at the next view after
# 20 s if its notification has not come first. The reconciliation and the notifications are not
# limited by it.
PAGE_ASKS_EVERY = dt.timedelta(seconds=20)


def _account_provider(event: ProviderEvent) -> PaymentProvider | None:
    if event.shop_id is None:
        return None
    account = ProviderAccount.objects.filter(shop_id=event.shop_id, provider=event.provider).first()
    return provider_for_account(account) if account is not None else None


def _close(event: ProviderEvent, outcome: str) -> ProviderEvent:
    """Mark an event handled without recording anything (nothing it says can be applied)."""
    ProviderEvent.objects.filter(pk=event.pk, handled_at__isnull=True).update(
        outcome=outcome, handled_at=timezone.now()
    )
    if outcome != "ignored":
        logger.warning("payment event %s not applied: %s", event.pk, outcome)
    event.refresh_from_db()
    return event


def handle_notification(event_id: int) -> ProviderEvent:
    """Handle one stored notification, once. Raises `ProviderError` when the provider must be
    read and cannot be: the event stays unhandled and the reconciliation tries it again."""
    event = ProviderEvent.objects.get(pk=event_id)
    if event.handled_at is not None:
        return event
    if not event.provider_checkout_id:
        return _close(event, "ignored")  # an event about something else than a checkout
    known = Checkout.objects.filter(
        provider=event.provider, provider_checkout_id=event.provider_checkout_id
    ).first()
    if known is not None and event.shop_id is not None and known.shop_id != event.shop_id:
        return _close(event, "other_shop")  # named at another shop's address
    if not event.reported_status:  # SumUp: read the checkout before recording anything
        provider = _account_provider(event)
        if provider is None:
            return _close(event, "no_credentials")
        state = provider.read_checkout(provider_checkout_id=event.provider_checkout_id)
        if state.provider_checkout_id != event.provider_checkout_id:
            return _close(event, "other_checkout")
        ProviderEvent.objects.filter(pk=event.pk).update(
            reported_status=state.status,
            reported_amount=state.amount,
            reported_currency=state.currency,
        )
        event.refresh_from_db()
    return _handle_event(
        event_pk=event.pk,
        provider_code=event.provider,
        provider_checkout_id=event.provider_checkout_id,
        status=event.reported_status,
        amount=event.reported_amount if event.reported_amount is not None else -1,
        currency=event.reported_currency,
    )


def refresh_checkout(checkout: Checkout) -> Checkout:
    """Ask the provider how a pending checkout stands and record a final answer; or whether one
    that ended unpaid here (expired, cancelled) was paid after all, and record only that (a late
    payment, `payments.late`). A provider that cannot be reached changes nothing (raises
    `ProviderError`)."""
    closed = can_pay_late(checkout)
    if not checkout.provider_checkout_id or not (
        closed or checkout.status == CheckoutStatus.PENDING
    ):
        return checkout
    provider = shop_provider(checkout.shop_id, checkout.provider)
    if provider is None:
        raise ProviderError(f"{checkout.provider} is no longer set up for this shop")
    state = provider.read_checkout(provider_checkout_id=checkout.provider_checkout_id)
    if state.status == ProviderStatus.APPROVED or (
        not closed and state.status in ProviderStatus.FINAL
    ):
        record_observation(checkout, state)
    checkout.refresh_from_db()
    return checkout


def record_observation(checkout: Checkout, state: CheckoutState) -> ProviderEvent:
    """Store what the provider's API said about a checkout as an event, then handle it."""
    event_id = f"read:{state.provider_checkout_id}:{state.status}"
    try:
        # durable: the observation is committed on its own before it is handled, like any event.
        with transaction.atomic(durable=True):
            event = ProviderEvent.objects.create(
                provider=checkout.provider,
                event_id=event_id,
                payload=state.raw,
                shop_id=checkout.shop_id,
                checkout=checkout,
                provider_checkout_id=state.provider_checkout_id,
                reported_status=state.status,
                reported_amount=state.amount,
                reported_currency=state.currency,
            )
    except IntegrityError:
        event = ProviderEvent.objects.get(provider=checkout.provider, event_id=event_id)
    return _handle_event(
        event_pk=event.pk,
        provider_code=checkout.provider,
        provider_checkout_id=state.provider_checkout_id,
        status=state.status,
        amount=state.amount,
        currency=state.currency,
    )


def refresh_live_checkout(*, shop_id: int, reference: str) -> None:
    """The payer is back from a real provider's page: if the checkout for `reference` is still
    pending, or ended unpaid here in the last `LATE_ASKED_FOR` (its order's hold ran out while
    they paid), ask the provider now rather than wait for its notification.

    At most one view per `PAGE_ASKS_EVERY` asks about a checkout, whichever worker or server
    serves it (`_claim_page_ask`); the others show the page as Ardoise knows it. The call has
    the short page timeout and no retry (`core.http.while_a_page_waits`). A provider that does
    not answer leaves the page as it was; the notification or the reconciliation ends it.
    """
    now = timezone.now()
    checkout = live_checkout(shop_id=shop_id, reference=reference) or latest_closed(
        shop_id=shop_id, reference=reference, since=now - LATE_ASKED_FOR
    )
    if checkout is None or checkout.status == CheckoutStatus.APPROVED:
        return
    if checkout.provider == TestProvider.code:  # its state is ours: nothing to ask
        return
    if not checkout.provider_checkout_id or not _claim_page_ask(checkout, now):
        return
    try:
        with while_a_page_waits():
            refresh_checkout(checkout)
    except ProviderError as error:
        logger.info("checkout %s not refreshed on return: %s", checkout.pk, error)


def _claim_page_ask(checkout: Checkout, now: dt.datetime) -> bool:
    """Whether this page view may ask the provider about `checkout`: no page has asked in the
    last `PAGE_ASKS_EVERY`. One conditional UPDATE of its `last_asked_at` in autocommit (never
    read-check-write): of two views at once, on any workers or servers, the second waits for
    the row, then sees the first's time and asks nothing. The time stays set when the provider
    does not answer: a provider that is down is not asked again sooner."""
    due = Q(last_asked_at__isnull=True) | Q(last_asked_at__lte=now - PAGE_ASKS_EVERY)
    return Checkout.objects.filter(due, pk=checkout.pk).update(last_asked_at=now) == 1
