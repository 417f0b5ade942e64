"""Online checkouts and provider confirmations: stored raw first, handled once."""

import json
import threading
from collections.abc import Callable

import pytest
from django.db import connection, connections
from django.test import Client, override_settings
from django.urls import reverse

from ardoise.ledger.models import Credit
from ardoise.payments.models import Checkout, CheckoutStatus, ProviderEvent
from ardoise.payments.online import receive_confirmation, start_checkout
from ardoise.payments.providers.base import InvalidConfirmation, ProviderError
from ardoise.payments.providers.registry import get_provider
from ardoise.payments.providers.test.provider import SIGNATURE_HEADER, TestProvider, sign
from tests.factories import make_shop
from tests.statements.support import account_with_charges, enable_online_payment


def _checkout():  # type: ignore[no-untyped-def]
    shop = make_shop()
    enable_online_payment(shop)
    account, charges = account_with_charges(shop, [30_00, 20_00])
    checkout = start_checkout(
        account=account,
        amount=50_00,
        reference="statement:1",
        charge_ids=[charge.pk for charge in charges],
        return_url="http://testserver/back/",
    )
    return account, charges, checkout


def _approval(checkout: Checkout, **changes: object) -> tuple[bytes, dict[str, str]]:
    body, headers = TestProvider().make_confirmation(
        provider_checkout_id=checkout.provider_checkout_id,
        approve=True,
        amount=checkout.amount,
        currency=checkout.currency,
    )
    if changes:
        body = json.dumps({**json.loads(body), **changes}, sort_keys=True).encode()
        headers = {SIGNATURE_HEADER: sign(body)}
    return body, headers


def _webhook(client: Client, body: bytes, headers: dict[str, str]):  # type: ignore[no-untyped-def]
    return client.post(
        reverse("payments:provider_webhook", kwargs={"provider": "test"}),
        data=body,
        content_type="application/json",
        headers=headers,
    )


@pytest.mark.django_db
def test_a_replayed_confirmation_is_stored_once_and_pays_once() -> None:
    account, _, checkout = _checkout()
    body, headers = _approval(checkout)
    client = Client()

    first = _webhook(client, body, headers)
    replay = _webhook(client, body, headers)

    assert (first.status_code, replay.status_code) == (200, 200)
    event = ProviderEvent.objects.get()
    assert (event.outcome, event.shop_id, event.checkout_id) == (
        "payment_recorded",
        account.shop_id,
        checkout.pk,
    )
    assert json.loads(event.payload)["checkout_id"] == checkout.provider_checkout_id
    credit = Credit.objects.get(account=account)
    assert (credit.amount, credit.mode, credit.reference) == (50_00, "online", "statement:1")
    checkout.refresh_from_db()
    assert (checkout.status, checkout.credit_id) == (CheckoutStatus.APPROVED, credit.pk)


@pytest.mark.django_db
def test_a_bad_signature_is_refused_and_nothing_is_stored() -> None:
    account, _, checkout = _checkout()
    body, _ = _approval(checkout)

    response = _webhook(Client(), body, {SIGNATURE_HEADER: "0" * 64})

    assert response.status_code == 400
    assert (ProviderEvent.objects.count(), Credit.objects.filter(account=account).count()) == (
        0,
        0,
    )


@pytest.mark.django_db
def test_a_confirmation_for_another_amount_is_kept_but_pays_nothing() -> None:
    account, _, checkout = _checkout()
    body, headers = _approval(checkout, amount=1)

    event = receive_confirmation(provider_code="test", body=body, headers=headers)

    assert event.outcome == "amount_mismatch"
    assert Credit.objects.filter(account=account).count() == 0
    checkout.refresh_from_db()
    assert checkout.status == CheckoutStatus.PENDING


@pytest.mark.django_db
def test_a_second_approval_of_a_paid_checkout_pays_nothing() -> None:
    account, _, checkout = _checkout()
    receive_confirmation(provider_code="test", body=(b := _approval(checkout))[0], headers=b[1])
    body, headers = _approval(checkout)  # a new event id for the same checkout

    event = receive_confirmation(provider_code="test", body=body, headers=headers)

    assert event.outcome == "already_approved"
    assert Credit.objects.filter(account=account).count() == 1


@pytest.mark.django_db
def test_one_live_checkout_per_reference_and_the_provider_status() -> None:
    account, charges, checkout = _checkout()
    again = start_checkout(
        account=account,
        amount=50_00,
        reference="statement:1",
        charge_ids=[charges[0].pk],
        return_url="http://testserver/other/",
    )
    provider = get_provider("test")

    assert again.pk == checkout.pk
    assert provider.read_checkout(provider_checkout_id=checkout.provider_checkout_id).status == (
        "pending"
    )
    receive_confirmation(provider_code="test", body=(b := _approval(checkout))[0], headers=b[1])
    assert provider.read_checkout(provider_checkout_id=checkout.provider_checkout_id).status == (
        "approved"
    )


def test_the_test_provider_is_off_unless_enabled() -> None:
    with override_settings(PAYMENTS_TEST_PROVIDER=False), pytest.raises(ProviderError):
        get_provider("test")
    with pytest.raises(InvalidConfirmation):
        TestProvider().parse_confirmation(body=b"{}", headers={})


# --- Real concurrency on PostgreSQL ---------------------------------------------------------


def _in_threads(count: int, work: Callable[[], object]) -> list[BaseException]:
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def run() -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_confirmation_delivered_at_once_pays_once() -> None:
    account, _, checkout = _checkout()
    body, headers = _approval(checkout)

    errors = _in_threads(
        6, lambda: receive_confirmation(provider_code="test", body=body, headers=headers)
    )

    assert errors == []
    assert connection.vendor == "postgresql"
    assert ProviderEvent.objects.count() == 1
    assert Credit.objects.filter(account=account).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_approvals_of_one_checkout_at_once_pay_once() -> None:
    account, _, checkout = _checkout()
    approvals = [_approval(checkout) for _ in range(6)]
    index = iter(range(6))
    lock = threading.Lock()

    def deliver() -> None:
        with lock:
            body, headers = approvals[next(index)]
        receive_confirmation(provider_code="test", body=body, headers=headers)

    errors = _in_threads(6, deliver)

    assert errors == []
    assert ProviderEvent.objects.count() == 6
    assert sorted(ProviderEvent.objects.values_list("outcome", flat=True)) == [
        "already_approved"
    ] * 5 + ["payment_recorded"]
    assert Credit.objects.filter(account=account).count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_tabs_starting_checkouts_at_once_share_one() -> None:
    shop = make_shop()
    enable_online_payment(shop)
    account, _ = account_with_charges(shop, [30_00])
    started: list[int] = []

    def start() -> None:
        checkout = start_checkout(
            account=account,
            amount=30_00,
            reference="statement:9",
            charge_ids=[],
            return_url="http://testserver/back/",
        )
        started.append(checkout.pk)

    errors = _in_threads(6, start)

    assert errors == []
    assert len(set(started)) == 1
    assert Checkout.objects.filter(reference="statement:9").count() == 1


@pytest.mark.django_db
def test_an_unknown_test_checkout_is_a_404() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(
        reverse("payments:test_checkout", kwargs={"checkout_id": "test_nope"})
    )
    assert response.status_code == 404
