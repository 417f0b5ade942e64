"""A retry storm on PostgreSQL, with real threads, the real SDKs and the stand-in: the same
confirmation delivered again and again, other events for the same checkout, out of order, each
handled as soon as it is stored, with the payer's return to the statement and a reconciliation
run racing them. Exactly one payment."""

import datetime as dt
import random
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import ChargeStatus, Credit
from ardoise.payments.handling import handle_notification
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.reconciliation import reconcile
from tests.payments.provider_support import (
    page_path,
    pay_path,
    secret_of,
    standin_server,
    statement_to_pay,
    webhook_path,
)
from tests.payments.standins import StandIn
from tests.statements.support import run_worker


def _in_threads(works: list[Callable[[], object]]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(works))

    def run(work: Callable[[], object]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(work,)) for work in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


def _deliveries(provider: str, standin: StandIn, checkout_id: str) -> list[tuple[bytes, dict]]:
    """20 deliveries: one confirmation 14 times, and 6 other events about the same checkout."""
    secret = secret_of(provider)
    if provider == "sumup":
        same = standin.sumup_event(checkout_id, secret=secret)
        others = [
            standin.sumup_event(checkout_id, kind, secret=secret)
            for kind in ["checkouts.updated", "checkouts.paid", "checkouts.updated"] * 2
        ]
    else:
        same = standin.stripe_event(checkout_id, secret=secret)
        others = [standin.stripe_event(checkout_id, secret=secret) for _ in range(3)] + [
            standin.stripe_event(
                checkout_id, "checkout.session.async_payment_succeeded", secret=secret
            )
            for _ in range(3)
        ]
    deliveries = [same] * 14 + others
    random.Random(13).shuffle(deliveries)  # out of order
    return deliveries


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", ["sumup", "stripe"])
def test_a_retry_storm_with_the_return_racing_records_one_payment(provider: str) -> None:
    assert connection.vendor == "postgresql"
    with standin_server(HTTP_TIMEOUT_SECONDS=10) as standin:
        setup = statement_to_pay(provider, standin)
        Client().post(pay_path(setup.token))
        checkout = Checkout.objects.get()
        if provider == "sumup":
            standin.sumup_pay(checkout.provider_checkout_id)
        else:
            standin.stripe_pay(checkout.provider_checkout_id)
        path = webhook_path(setup.provider_account)
        statuses: list[int] = []

        def deliver(body: bytes, headers: dict[str, str]) -> Callable[[], None]:
            def work() -> None:
                response = Client().post(
                    path, data=body, content_type="application/json", headers=headers
                )
                statuses.append(response.status_code)
                event = ProviderEvent.objects.filter(payload=body.decode()).get()
                handle_notification(event.pk)  # a worker picks it up at once

            return work

        def come_back() -> None:
            assert Client().get(page_path(setup.token)).status_code == 200

        def reconcile_now() -> None:
            reconcile(now=timezone.now() + dt.timedelta(minutes=6))

        works = [
            deliver(*item) for item in _deliveries(provider, standin, checkout.provider_checkout_id)
        ]
        errors = _in_threads([*works, come_back, reconcile_now])
        run_worker()  # what the storm enqueued: every event is handled already

    assert errors == []
    assert statuses == [200] * 20
    assert Credit.objects.filter(account=setup.account).count() == 1
    checkout.refresh_from_db()
    assert (checkout.status, checkout.amount) == (CheckoutStatus.APPROVED, 75_50)
    outcomes = list(ProviderEvent.objects.values_list("outcome", flat=True))
    assert outcomes.count("payment_recorded") == 1
    assert ProviderEvent.objects.filter(handled_at__isnull=True).count() == 0
    for charge in setup.charges:
        charge.refresh_from_db()
        assert charge.status == ChargeStatus.PAID
    assert check_ledger().ok
