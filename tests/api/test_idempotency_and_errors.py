"""Idempotency-Key on every write, amounts as strings, and the one error body."""

from typing import Any

import pytest

from ardoise.api.models import ApiRequest
from ardoise.ledger.models import Account, Charge, IdempotencyRecord
from tests.api.conftest import ApiClient, business_snapshot


def _charge(account: Account, amount: object = "12.50", **extra: object) -> dict[str, object]:
    return {"customer_id": account.customer_id, "amount": amount, "currency": "EUR", **extra}


def test_the_same_key_and_body_give_the_first_response_again(
    api: ApiClient, account: Account
) -> None:
    first = api.post("/charges", _charge(account, reference="T-1"), key="till-1-0001")
    # The same JSON, keys in another order and other spacing: the same request.
    again = api.post(
        "/charges",
        '{"reference": "T-1", "currency": "EUR",  "amount": "12.50", "customer_id": '
        + str(account.customer_id)
        + "}",
        key="till-1-0001",
    )

    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true"
    assert Charge.objects.filter(account=account).count() == 1
    account.refresh_from_db()
    assert account.balance == -12_50
    stored = ApiRequest.objects.get(idempotency_key="till-1-0001")
    assert stored.status_code == 201
    assert IdempotencyRecord.objects.filter(key__endswith=":till-1-0001").count() == 1


def test_the_same_key_with_another_body_is_409_and_writes_nothing(
    api: ApiClient, account: Account
) -> None:
    api.post("/charges", _charge(account), key="k-1")
    before = business_snapshot()

    response = api.post("/charges", _charge(account, amount="13.00"), key="k-1")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_key_reused"
    assert response.json()["error"]["field"] == "Idempotency-Key"
    assert business_snapshot().changes_since(before) == {}


def test_a_write_without_an_idempotency_key_is_refused(api: ApiClient, account: Account) -> None:
    before = business_snapshot()

    response = api.post("/charges", _charge(account))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_required"
    assert business_snapshot().changes_since(before) == {}


@pytest.mark.parametrize("amount", [12.5, 12, 1e3, True])
def test_an_amount_sent_as_a_json_number_is_refused(
    api: ApiClient, account: Account, amount: object
) -> None:
    before = business_snapshot()

    response = api.post("/charges", _charge(account, amount=amount), key="k-number")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "amount_not_string"
    assert response.json()["error"]["field"] == "amount"
    assert "12.50" in response.json()["error"]["message"]
    assert business_snapshot().changes_since(before) == {}


@pytest.mark.parametrize(
    ("amount", "status", "code"),
    [
        ("12.505", 422, "amount_too_precise"),
        ("12,50", 400, "invalid_amount"),
        ("-5.00", 400, "invalid_amount"),
        ("0", 422, "invalid_amount"),
        ("99999999999999", 422, "amount_too_large"),
    ],
)
def test_an_amount_that_is_not_money_is_refused_with_its_code(
    api: ApiClient, account: Account, amount: str, status: int, code: str
) -> None:
    before = business_snapshot()

    response = api.post("/charges", _charge(account, amount=amount), key=f"k-{amount}")

    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert response.json()["error"]["field"] == "amount"
    assert business_snapshot().changes_since(before) == {}


def test_another_currency_is_refused(api: ApiClient, account: Account) -> None:
    response = api.post("/charges", {**_charge(account), "currency": "USD"}, key="usd")

    assert response.status_code == 422
    assert response.json()["error"] == {
        "code": "currency_mismatch",
        "message": "This shop's accounts are in EUR.",
        "field": "currency",
    }


def test_a_body_that_is_not_json_is_400(api: ApiClient, account: Account) -> None:
    response = api.post("/charges", "{not json", key="bad-json")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_body"


def test_a_missing_field_is_named(api: ApiClient, account: Account) -> None:
    response = api.post("/charges", {"customer_id": account.customer_id}, key="missing")

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "field_required"
    assert response.json()["error"]["field"] in {"amount", "currency"}


def test_a_refused_charge_leaves_nothing_and_its_key_can_be_used_again(
    api: ApiClient, account: Account
) -> None:
    before = business_snapshot()

    refused = api.post("/charges", _charge(account, amount="150.00"), key="retry-me")

    assert refused.status_code == 422
    assert business_snapshot().changes_since(before) == {}
    accepted = api.post("/charges", _charge(account, amount="150.00"), key="retry-me")
    assert accepted.status_code == 422  # the same refusal again: the limit has not moved


def test_bodies_are_utf8_json_with_their_charset(api_for: Any, account: Account) -> None:
    french = api_for(language="fr")

    created = french.post("/customers", {"name": "Hélène Lefèvre"}, key="utf8-1")
    replayed = french.post("/customers", {"name": "Hélène Lefèvre"}, key="utf8-1")
    refused = french.post("/charges", _charge(account, amount="12,50"), key="utf8-2")

    for response in (created, replayed, refused):
        assert response["Content-Type"] == "application/json; charset=utf-8"
    assert '"name": "Hélène Lefèvre"'.encode() in created.content
    assert replayed.content == created.content
    assert b"Saisissez un montant" in refused.content
    assert b"\\u" not in created.content + refused.content
