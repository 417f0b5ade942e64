"""SumUp and Stripe through their real SDKs, against the local stand-in (payments/standins.py):
hosted checkouts, signed notifications handled by the worker, the API read before recording,
forged and stale signatures refused with nothing written."""

import json
import logging
import time
import urllib.parse
from decimal import Decimal

import pytest
from django.test import Client

from ardoise.ledger.checks import check_ledger
from ardoise.ledger.models import ChargeStatus, Credit
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.providers.base import checkout_reference
from ardoise.statements.models import StatementLink
from ardoise.statements.services import pay_statement
from tests.payments.provider_support import (
    STRIPE_SECRET,
    SUMUP_SECRET,
    Setup,
    after_commit,
    full_webhook_url,
    page_path,
    pay_path,
    standin_server,
    statement_to_pay,
    webhook_path,
)
from tests.payments.standins import StandIn
from tests.statements.support import run_worker
from tests.support import database_snapshot, nothing_written

pytestmark = pytest.mark.django_db


@pytest.fixture
def standin():  # type: ignore[no-untyped-def]
    with standin_server() as server:
        yield server


def _open(setup: Setup) -> Checkout:
    link = StatementLink.objects.get(statement=setup.statement)
    return pay_statement(link=link, return_url="http://testserver" + page_path(setup.token))


def _deliver(setup: Setup, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    with after_commit():
        return Client().post(
            webhook_path(setup.provider_account),
            data=body,
            content_type="application/json",
            headers=headers,
        )


def _credits(setup: Setup) -> list[Credit]:
    return list(Credit.objects.filter(account=setup.account).order_by("id"))


# --- SumUp ------------------------------------------------------------------------------------


def test_sumup_hosted_checkout_with_the_exact_amount_and_our_reference(standin: StandIn) -> None:
    setup = statement_to_pay("sumup", standin)

    checkout = _open(setup)

    created = standin.requests("POST", "/v0.1/checkouts")
    assert len(created) == 1
    raw = created[0].body.decode()
    assert '"amount":75.50' in raw  # minor units written exactly, never through a float
    sent = json.loads(raw, parse_float=Decimal)
    assert sent["hosted_checkout"] == {"enabled": True}
    assert (sent["currency"], sent["merchant_code"]) == ("EUR", standin.merchant_code)
    assert sent["checkout_reference"] == checkout_reference(checkout.pk)
    assert sent["redirect_url"] == "http://testserver" + page_path(setup.token)
    assert "return_url" not in sent  # signed events instead of the unsigned callback
    assert created[0].headers["Authorization"] == f"Bearer {standin.sumup_key}"
    assert checkout.status == CheckoutStatus.PENDING
    assert checkout.redirect_url == f"{standin.base}/pay/{checkout.provider_checkout_id}"


def test_a_signed_sumup_event_is_stored_answered_then_handled_by_the_worker(
    standin: StandIn,
) -> None:
    setup = statement_to_pay("sumup", standin)
    checkout = _open(setup)
    standin.sumup_pay(checkout.provider_checkout_id)
    body, headers = standin.sumup_event(checkout.provider_checkout_id, secret=SUMUP_SECRET)

    response = _deliver(setup, body, headers)

    assert response.status_code == 200
    event = ProviderEvent.objects.get()
    assert (event.payload, event.handled_at, event.shop_id) == (body.decode(), None, setup.shop.pk)
    assert _credits(setup) == []  # answered before anything is recorded
    reads_before = len(standin.requests("GET", f"/v0.1/checkouts/{checkout.provider_checkout_id}"))

    run_worker()

    event.refresh_from_db()
    assert (event.outcome, event.reported_status, event.reported_amount) == (
        "payment_recorded",
        "approved",
        75_50,
    )
    # The checkout was read from SumUp's API before the payment was recorded.
    reads = standin.requests("GET", f"/v0.1/checkouts/{checkout.provider_checkout_id}")
    assert len(reads) == reads_before + 1
    (credit,) = _credits(setup)
    assert (credit.amount, credit.mode) == (75_50, "online")
    for charge in setup.charges:
        charge.refresh_from_db()
        assert charge.status == ChargeStatus.PAID
    assert check_ledger().ok


def test_a_sumup_event_says_paid_but_the_api_does_not_nothing_is_recorded(
    standin: StandIn,
) -> None:
    setup = statement_to_pay("sumup", standin)
    checkout = _open(setup)  # still PENDING at SumUp
    body, headers = standin.sumup_event(checkout.provider_checkout_id, secret=SUMUP_SECRET)

    assert _deliver(setup, body, headers).status_code == 200
    run_worker()

    assert ProviderEvent.objects.get().outcome == "still_pending"
    assert _credits(setup) == []
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING


@pytest.mark.parametrize("kind", ["forged", "stale", "unsigned", "other secret"])
def test_a_sumup_notification_that_does_not_verify_is_refused_logged_and_writes_nothing(
    standin: StandIn, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    setup = statement_to_pay("sumup", standin)
    checkout = _open(setup)
    standin.sumup_pay(checkout.provider_checkout_id)
    secret = "not-the-secret" if kind == "other secret" else SUMUP_SECRET
    stamp = int(time.time()) - 600 if kind == "stale" else None
    body, headers = standin.sumup_event(
        checkout.provider_checkout_id, secret=secret, timestamp=stamp
    )
    if kind == "forged":
        body = body.replace(b"checkouts.paid", b"checkouts.updated")
    if kind == "unsigned":
        body, headers = standin.sumup_callback(checkout.provider_checkout_id)

    with caplog.at_level(logging.WARNING), nothing_written():
        response = _deliver(setup, body, headers)
        run_worker()

    assert response.status_code == 400
    assert any("webhook for shop" in record.getMessage() for record in caplog.records)
    assert SUMUP_SECRET not in caplog.text


def test_without_a_signing_secret_sumup_calls_back_unsigned_and_the_api_decides(
    standin: StandIn,
) -> None:
    setup = statement_to_pay("sumup", standin, signing_secret=False)
    checkout = _open(setup)
    sent = json.loads(standin.requests("POST", "/v0.1/checkouts")[0].body)
    assert sent["return_url"] == full_webhook_url(setup.provider_account)
    body, headers = standin.sumup_callback(checkout.provider_checkout_id)

    _deliver(setup, body, headers)  # before paying: a callback says nothing by itself
    run_worker()
    assert _credits(setup) == []
    standin.sumup_pay(checkout.provider_checkout_id)
    time.sleep(1.1)  # SumUp calls back again a moment later: a new delivery, not a replay
    _deliver(setup, body, headers)
    run_worker()

    assert [credit.amount for credit in _credits(setup)] == [75_50]
    assert sorted(ProviderEvent.objects.values_list("outcome", flat=True)) == [
        "payment_recorded",
        "still_pending",
    ]


def test_the_payer_back_from_sumup_sees_the_statement_paid_read_from_the_api(
    standin: StandIn,
) -> None:
    setup = statement_to_pay("sumup", standin)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    response = client.post(pay_path(setup.token))
    checkout = Checkout.objects.get()
    assert response.status_code == 302
    assert response["Location"] == checkout.redirect_url
    standin.sumup_pay(checkout.provider_checkout_id)

    back = client.get(page_path(setup.token))  # the redirect back, before any webhook

    assert "This statement is paid." in back.content.decode()
    assert [credit.amount for credit in _credits(setup)] == [75_50]
    event = ProviderEvent.objects.get()
    assert (event.event_id, event.outcome) == (
        f"read:{checkout.provider_checkout_id}:approved",
        "payment_recorded",
    )


# --- Stripe -----------------------------------------------------------------------------------


def test_stripe_checkout_session_in_payment_mode_with_an_idempotency_key(standin: StandIn) -> None:
    setup = statement_to_pay("stripe", standin)

    checkout = _open(setup)

    (created,) = standin.requests("POST", "/v1/checkout/sessions")
    form = {k: v[0] for k, v in urllib.parse.parse_qs(created.body.decode()).items()}
    reference = checkout_reference(checkout.pk)
    assert created.headers["Idempotency-Key"] == f"{reference}:create"
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "7550"
    assert form["line_items[0][price_data][currency]"] == "eur"
    assert form["client_reference_id"] == reference
    assert form["success_url"] == "http://testserver" + page_path(setup.token)
    assert checkout.redirect_url == f"{standin.base}/stripe/pay/{checkout.provider_checkout_id}"


def test_a_stripe_completed_event_pays_once_through_the_worker(standin: StandIn) -> None:
    setup = statement_to_pay("stripe", standin)
    checkout = _open(setup)
    standin.stripe_pay(checkout.provider_checkout_id)
    body, headers = standin.stripe_event(checkout.provider_checkout_id, secret=STRIPE_SECRET)

    first, replay = _deliver(setup, body, headers), _deliver(setup, body, headers)
    run_worker()

    assert (first.status_code, replay.status_code) == (200, 200)
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.reported_amount, event.reported_currency) == (
        "payment_recorded",
        75_50,
        "EUR",
    )
    assert [credit.amount for credit in _credits(setup)] == [75_50]


@pytest.mark.parametrize("succeeded", [True, False], ids=["succeeded", "failed"])
def test_a_delayed_stripe_payment_waits_for_its_async_event(
    standin: StandIn, succeeded: bool
) -> None:
    setup = statement_to_pay("stripe", standin)
    checkout = _open(setup)
    session = checkout.provider_checkout_id
    standin.stripe_pay(session, delayed=True)
    completed = standin.stripe_event(session, secret=STRIPE_SECRET)
    standin.stripe_settle_delayed(session, succeeded=succeeded)
    kind = "succeeded" if succeeded else "failed"
    final = standin.stripe_event(
        session, f"checkout.session.async_payment_{kind}", secret=STRIPE_SECRET
    )

    _deliver(setup, *final)  # out of order: the outcome first, then the completion
    _deliver(setup, *completed)
    run_worker()

    checkout.refresh_from_db()
    assert checkout.status == (CheckoutStatus.APPROVED if succeeded else CheckoutStatus.DECLINED)
    assert [credit.amount for credit in _credits(setup)] == ([75_50] if succeeded else [])
    assert check_ledger().ok


@pytest.mark.parametrize("kind", ["forged", "stale", "unsigned", "other secret"])
def test_a_stripe_event_that_does_not_verify_is_refused_logged_and_writes_nothing(
    standin: StandIn, kind: str, caplog: pytest.LogCaptureFixture
) -> None:
    setup = statement_to_pay("stripe", standin)
    checkout = _open(setup)
    standin.stripe_pay(checkout.provider_checkout_id)
    secret = "whsec_other" if kind == "other secret" else STRIPE_SECRET
    stamp = int(time.time()) - 600 if kind == "stale" else None
    body, headers = standin.stripe_event(
        checkout.provider_checkout_id, secret=secret, timestamp=stamp
    )
    if kind == "forged":
        body = body.replace(b'"amount_total": 7550', b'"amount_total": 1')
    if kind == "unsigned":
        headers = {}

    with caplog.at_level(logging.WARNING), nothing_written():
        response = _deliver(setup, body, headers)
        run_worker()

    assert response.status_code == 400
    assert "webhook for shop" in caplog.text
    assert STRIPE_SECRET not in caplog.text


@pytest.mark.parametrize("provider", ["sumup", "stripe"])
def test_a_webhook_address_with_the_wrong_key_is_a_404_and_writes_nothing(
    standin: StandIn, provider: str
) -> None:
    setup = statement_to_pay(provider, standin)
    path = webhook_path(setup.provider_account).replace(setup.provider_account.webhook_key, "x")
    before = database_snapshot()

    response = Client().post(path, data=b"{}", content_type="application/json")

    assert response.status_code == 404
    assert database_snapshot().changes_since(before) == {}
