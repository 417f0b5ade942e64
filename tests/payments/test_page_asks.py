"""The customer's pages ask the provider about a checkout at most once per `PAGE_ASKS_EVERY`,
whichever worker serves them (`handling.refresh_live_checkout`), against the local stand-ins
with the real SDKs: the first view asks, views in quick succession ask nothing more, a view
after the interval asks again; a payer sent to the provider's page again is asked about at
once when back; the reconciliation still asks; a provider that fails or is slow leaves the page
working, with the short page timeout and no retry. No assertion depends on the clock: the
interval is passed by moving `last_asked_at` back."""

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from django.db import connection, connections
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ardoise.core.http import outbound_client, while_a_page_waits
from ardoise.ledger.models import Credit
from ardoise.payments.handling import PAGE_ASKS_EVERY, refresh_live_checkout
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.reconciliation import reconcile
from tests.payments.provider_support import (
    Setup,
    connect,
    page_path,
    pay_path,
    standin_server,
    statement_to_pay,
)
from tests.payments.standins import StandIn
from tests.payments.test_late_payments import _expired
from tests.portal.support import portal_client, portal_shop

PROVIDERS = ["sumup", "stripe"]


@pytest.fixture
def standin() -> Iterator[StandIn]:
    with standin_server() as server:
        yield server


def _read_path(checkout: Checkout) -> str:
    if checkout.provider == "sumup":
        return f"/v0.1/checkouts/{checkout.provider_checkout_id}"
    return f"/v1/checkout/sessions/{checkout.provider_checkout_id}"


def _reads(standin: StandIn, checkout: Checkout) -> int:
    return len(standin.requests("GET", _read_path(checkout)))


def _pay_at_provider(standin: StandIn, checkout: Checkout) -> None:
    if checkout.provider == "sumup":
        standin.sumup_pay(checkout.provider_checkout_id)
    else:
        standin.stripe_pay(checkout.provider_checkout_id)


def _opened(provider: str, standin: StandIn) -> tuple[Setup, Checkout, Client]:
    """A statement whose payer was sent to the provider's page (a pending checkout there)."""
    setup = statement_to_pay(provider, standin)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    assert client.post(pay_path(setup.token)).status_code == 302
    checkout = Checkout.objects.get()
    assert (checkout.status, checkout.last_asked_at) == (CheckoutStatus.PENDING, None)
    return setup, checkout, client


def _paid_text(client: Client, setup: Setup) -> bool:
    response = client.get(page_path(setup.token))
    assert response.status_code == 200
    return "This statement is paid." in response.content.decode()


def _move_back(checkout: Checkout, by: dt.timedelta) -> None:
    """As if the last page had asked `by` ago."""
    Checkout.objects.filter(pk=checkout.pk).update(last_asked_at=timezone.now() - by)


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_payer_back_sees_the_outcome_at_once_and_reloads_ask_nothing_more(
    standin: StandIn, provider: str
) -> None:
    setup, checkout, client = _opened(provider, standin)
    _pay_at_provider(standin, checkout)

    first = _paid_text(client, setup)  # back from the provider's page, before any webhook
    reloads = [_paid_text(client, setup) for _ in range(3)]

    assert (first, reloads) == (True, [True, True, True])
    assert _reads(standin, checkout) == 1
    assert [credit.amount for credit in Credit.objects.filter(account=setup.account)] == [75_50]


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_two_views_in_quick_succession_ask_once_the_next_after_the_interval_asks_again(
    standin: StandIn, provider: str
) -> None:
    setup, checkout, client = _opened(provider, standin)

    assert _paid_text(client, setup) is False  # asks: still pending at the provider
    checkout.refresh_from_db()
    asked_at = checkout.last_asked_at
    assert asked_at is not None
    _pay_at_provider(standin, checkout)
    # Within the interval: what Ardoise knows (pending), nothing asked, nothing recorded.
    _move_back(checkout, PAGE_ASKS_EVERY - dt.timedelta(seconds=5))
    assert _paid_text(client, setup) is False
    assert _reads(standin, checkout) == 1
    assert Credit.objects.filter(account=setup.account).count() == 0
    assert ProviderEvent.objects.count() == 0

    _move_back(checkout, PAGE_ASKS_EVERY + dt.timedelta(seconds=1))
    assert _paid_text(client, setup) is True  # the interval is over: asked again

    assert _reads(standin, checkout) == 2
    assert [credit.amount for credit in Credit.objects.filter(account=setup.account)] == [75_50]


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_payer_sent_to_the_provider_again_is_asked_about_at_once_when_back(
    standin: StandIn, provider: str
) -> None:
    setup, checkout, client = _opened(provider, standin)
    assert _paid_text(client, setup) is False  # a page asked a moment ago
    assert _reads(standin, checkout) == 1

    again = client.post(pay_path(setup.token))  # "Pay" again: the same pending checkout
    assert again.status_code == 302
    assert again["Location"] == checkout.redirect_url
    assert Checkout.objects.get().last_asked_at is None
    _pay_at_provider(standin, checkout)

    assert _paid_text(client, setup) is True
    assert _reads(standin, checkout) == 2


@pytest.mark.django_db
@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_reconciliation_still_asks_right_after_a_page_did(
    standin: StandIn, provider: str
) -> None:
    setup, checkout, client = _opened(provider, standin)
    assert _paid_text(client, setup) is False
    _pay_at_provider(standin, checkout)
    assert _paid_text(client, setup) is False  # a reload within the interval: not asked

    run = reconcile(now=timezone.now() + dt.timedelta(minutes=6))

    assert (run.checkouts_asked, run.checkouts_ended) == (1, 1)
    assert _reads(standin, checkout) == 2
    assert _paid_text(client, setup) is True


@pytest.mark.django_db
def test_a_view_within_the_interval_reads_the_checkout_and_claims_nothing_more(
    standin: StandIn,
) -> None:
    setup, checkout, _client = _opened("sumup", standin)
    refresh_live_checkout(shop_id=setup.shop.pk, reference=checkout.reference)
    assert _reads(standin, checkout) == 1

    with CaptureQueriesContext(connection) as queries:
        refresh_live_checkout(shop_id=setup.shop.pk, reference=checkout.reference)

    # The live checkout's lookup, and the claim that finds the interval not over.
    assert len(queries) == 2
    assert queries[1]["sql"].startswith("UPDATE")
    assert _reads(standin, checkout) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("kind", ["500", "timeout"])
def test_a_provider_that_fails_leaves_the_page_working_and_is_not_asked_again_at_once(
    kind: str,
) -> None:
    # A slow provider: the page's call has the short timeout, and no retry (HTTP_RETRIES=2
    # applies to the reconciliation and the notifications).
    with standin_server(
        HTTP_TIMEOUT_SECONDS=10, HTTP_RETRIES=2, HTTP_PAGE_TIMEOUT_SECONDS=0.3
    ) as standin:
        setup, checkout, client = _opened("sumup", standin)
        _pay_at_provider(standin, checkout)
        standin.fail("GET", _read_path(checkout), kind, times=5)

        first, reload = _paid_text(client, setup), _paid_text(client, setup)

        assert (first, reload) == (False, False)
        assert _reads(standin, checkout) == 1  # one attempt, not retried; the reload asks nothing
        checkout.refresh_from_db()
        assert checkout.status == CheckoutStatus.PENDING
        assert checkout.last_asked_at is not None
        assert Credit.objects.filter(account=setup.account).count() == 0
        assert ProviderEvent.objects.count() == 0


@override_settings(HTTP_TIMEOUT_SECONDS=10, HTTP_RETRIES=2, HTTP_PAGE_TIMEOUT_SECONDS=3)
def test_calls_while_a_page_waits_have_the_page_timeout_and_no_retry() -> None:

    with outbound_client() as usual:
        assert (usual.timeout.read, usual._transport.retries) == (10, 2)  # type: ignore[attr-defined]
    with while_a_page_waits(), outbound_client() as quick:
        assert (quick.timeout.connect, quick.timeout.read) == (3, 3)
        assert quick._transport.retries == 0  # type: ignore[attr-defined]
    with outbound_client() as after:
        assert (after.timeout.read, after._transport.retries) == (10, 2)  # type: ignore[attr-defined]


@pytest.mark.django_db
def test_the_order_page_asks_about_an_order_checkout_that_ended_unpaid_once(
    standin: StandIn,
) -> None:
    shop = portal_shop(ordering_open=True)
    connect(shop, "sumup", standin)
    placed = _expired(shop)  # its hold ran out: still asked for LATE_ASKED_FOR
    checkout = placed.checkout
    assert checkout is not None
    client = portal_client(placed.order.account.customer)
    path = reverse("portal:order_detail", args=[shop.slug, placed.order.pk])

    statuses = [client.get(path).status_code for _ in range(3)]

    assert statuses == [200, 200, 200]
    assert _reads(standin, checkout) == 1
    _pay_at_provider(standin, checkout)
    _move_back(checkout, PAGE_ASKS_EVERY + dt.timedelta(seconds=1))
    assert client.get(path).status_code == 200
    assert _reads(standin, checkout) == 2
    assert Credit.objects.filter(account=placed.order.account, mode="online").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_views_at_the_same_moment_on_several_connections_ask_once(
    standin: StandIn, provider: str
) -> None:
    assert connection.vendor == "postgresql"
    setup, checkout, _client = _opened(provider, standin)
    _pay_at_provider(standin, checkout)
    viewers = 8
    barrier = threading.Barrier(viewers)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def view() -> None:
        try:
            barrier.wait()
            statuses.append(Client().get(page_path(setup.token)).status_code)
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=view) for _ in range(viewers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert (errors, statuses) == ([], [200] * viewers)
    assert _reads(standin, checkout) == 1
    assert Credit.objects.filter(account=setup.account).count() == 1
    assert Checkout.objects.get().status == CheckoutStatus.APPROVED
