"""Hostile and sloppy input over the API: each refusal has its status, its stable code, the
field at fault and a French message with `Accept-Language: fr`, and writes nothing.

Fuzzing (test_schema_fuzz.py) checks that every response matches the schema; these are the
cases it does not think of: a body of several megabytes, a NUL character (PostgreSQL refuses it
in text), a payment mode the shop does not accept, amounts that look like numbers.
"""

import json
from typing import Any

import pytest

from ardoise.ledger.models import Account, Charge
from ardoise.payments.models import PaymentMode
from ardoise.shops.models import Shop
from tests.api.conftest import ApiClient, business_snapshot, new_secret
from tests.factories import make_account, make_shop


def _payment(account: Account, **extra: Any) -> dict[str, Any]:
    return {
        "customer_id": account.customer_id,
        "amount": "5.00",
        "currency": "EUR",
        "mode": "cash",
        **extra,
    }


def _charge(account: Account, **extra: Any) -> dict[str, Any]:
    return {"customer_id": account.customer_id, "amount": "5.00", "currency": "EUR", **extra}


def _refused(response: Any, status: int, code: str, field: str | None) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert (error["code"], error["field"]) == (code, field)
    return error


@pytest.fixture
def api_fr(shop: Shop) -> ApiClient:
    return ApiClient(new_secret(shop), language="fr")


# --- Amounts ------------------------------------------------------------------------------------


NOT_AN_AMOUNT = 'Saisissez un montant, par exemple "12.50".'
NOT_A_STRING = (
    "Envoyez les montants comme des chaînes décimales dans l'unité de la devise, "
    'par exemple "12.50".'
)


@pytest.mark.parametrize(
    ("amount", "status", "code", "message"),
    [
        ("1e3", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("-0.00", 400, "invalid_amount", NOT_AN_AMOUNT),
        (" 12.50", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("12,50", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("١٢٫٥٠", 400, "invalid_amount", NOT_AN_AMOUNT),  # Arabic-Indic digits: not ASCII
        ("１２.５０", 400, "invalid_amount", NOT_AN_AMOUNT),  # fullwidth digits
        ("NaN", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("Infinity", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("99999999999999999999", 400, "invalid_amount", NOT_AN_AMOUNT),
        ("99999999999999", 422, "amount_too_large", "Ce montant est trop élevé."),
        ("12.505", 422, "amount_too_precise", "Ce montant a plus de décimales que la devise."),
        ("0", 422, "invalid_amount", "Le montant doit être supérieur à zéro."),
        (12.5, 400, "amount_not_string", NOT_A_STRING),
        (True, 400, "amount_not_string", NOT_A_STRING),
        (None, 400, "amount_not_string", NOT_A_STRING),
    ],
)
def test_an_amount_that_is_not_one_is_refused_and_writes_nothing(
    api_fr: ApiClient, account: Account, amount: object, status: int, code: str, message: str
) -> None:
    before = business_snapshot()

    response = api_fr.post("/top-ups", _payment(account, amount=amount), key="k-1")

    assert _refused(response, status, code, "amount")["message"] == message
    assert business_snapshot().changes_since(before) == {}


def test_vat_above_the_amount_says_so_in_french(api_fr: ApiClient, account: Account) -> None:
    before = business_snapshot()
    body = {"customer_id": account.customer_id, "amount": "10.00", "vat_amount": "10.01"}

    response = api_fr.post("/charges", {**body, "currency": "EUR"}, key="k-1")

    error = _refused(response, 422, "invalid_value", "vat_amount")
    assert error["message"] == "La TVA ne peut pas dépasser le montant."
    assert business_snapshot().changes_since(before) == {}


@pytest.mark.parametrize("currency", ["eur", "USD", "XXX"])
def test_a_currency_other_than_the_accounts_is_refused(
    api: ApiClient, account: Account, currency: str
) -> None:
    before = business_snapshot()

    response = api.post("/charges", _charge(account, currency=currency), key="k-1")

    error = _refused(response, 422, "currency_mismatch", "currency")
    assert error["message"] == "This shop's accounts are in EUR."
    assert business_snapshot().changes_since(before) == {}


# --- Bodies -------------------------------------------------------------------------------------


def test_a_body_of_several_megabytes_is_413_not_500(api_fr: ApiClient, account: Account) -> None:
    before = business_snapshot()
    body = json.dumps(_payment(account, reference="x" * (3 * 1024 * 1024)))

    response = api_fr.post("/payments", body, key="k-1")

    error = _refused(response, 413, "body_too_large", None)
    assert error["message"] == "Le corps de la requête est trop volumineux."
    assert business_snapshot().changes_since(before) == {}


def test_the_schema_documents_413_on_every_operation(api: ApiClient) -> None:
    schema = api.get("/openapi.json").json()

    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert operations
    assert all("413" in op["responses"] for op in operations)


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/payments", {"mode": "cash", "reference": "T-\u0000"}, "reference"),
        ("/charges", {"description": "\u0000"}, "description"),
        ("/customers", {"name": "Hélène\u0000"}, "name"),
    ],
)
def test_a_nul_character_in_a_text_is_refused_on_every_database(
    api: ApiClient, account: Account, path: str, body: dict[str, Any], field: str
) -> None:
    """PostgreSQL cannot store NUL in text: unchecked, it was a 500 there (and stored on
    SQLite)."""
    before = business_snapshot()

    base = {"name": "x"} if path == "/customers" else _charge(account)
    response = api.post(path, {**base, **body}, key="k-1")

    error = _refused(response, 400, "invalid_value", field)
    assert error["message"] == "This text contains a NUL character, which cannot be stored."
    assert business_snapshot().changes_since(before) == {}


def test_a_nul_character_in_the_search_is_refused(api: ApiClient, account: Account) -> None:
    response = api.get("/customers", q="Hél\u0000")

    _refused(response, 400, "invalid_value", "q")


def test_an_empty_body_is_not_json(api_fr: ApiClient, account: Account) -> None:
    response = api_fr.post("/payments", "", key="k-1")

    error = _refused(response, 400, "malformed_body", None)
    assert error["message"] == "Le corps n'est pas du JSON valide."


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "12", "null"])
def test_a_body_that_is_not_an_object_is_refused(
    api: ApiClient, account: Account, body: str
) -> None:
    before = business_snapshot()

    response = api.post("/payments", body, key="k-1")

    assert response.status_code == 400
    assert business_snapshot().changes_since(before) == {}


def test_a_deeply_nested_body_is_400(api: ApiClient, account: Account) -> None:
    response = api.post("/payments", "[" * 100_000 + "]" * 100_000, key="k-1")

    _refused(response, 400, "malformed_body", None)


# --- Payment modes ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/payments", "/top-ups"])
def test_a_mode_the_shop_does_not_accept_is_refused(
    api_fr: ApiClient, account: Account, path: str
) -> None:
    PaymentMode.objects.filter(shop_id=account.shop_id, code="cheque").update(is_accepted=False)
    before = business_snapshot()

    for mode in ("bitcoin", "cheque", "Cash"):
        response = api_fr.post(path, _payment(account, mode=mode), key=f"k-{mode}")

        error = _refused(response, 422, "mode_not_accepted", "mode")
        assert error["message"] == "Ce mode de règlement n'est pas accepté par la boutique."
    assert business_snapshot().changes_since(before) == {}


def test_a_mode_the_shop_accepts_is_recorded(api: ApiClient, account: Account) -> None:
    response = api.post("/payments", _payment(account, mode="cheque"), key="k-1")

    assert response.status_code == 201
    assert response.json()["mode"] == "cheque"


# --- Credit notes -------------------------------------------------------------------------------


def test_a_credit_note_sending_more_to_the_account_than_its_amount_names_to_account(
    api_fr: ApiClient, account: Account
) -> None:
    charge = api_fr.post(
        "/charges",
        {"customer_id": account.customer_id, "amount": "10.00", "currency": "EUR"},
        key="c-1",
    ).json()
    api_fr.post("/payments", _payment(account, amount="10.00"), key="p-1")
    before = business_snapshot()
    body = {"amount": "5.00", "currency": "EUR", "reason": "Abîmé", "refund_mode": "cash"}

    response = api_fr.post(
        f"/charges/{charge['id']}/credit-notes", {**body, "to_account": "6.00"}, key="n-1"
    )

    error = _refused(response, 422, "invalid_value", "to_account")
    assert error["message"] == "La part rendue sur le compte ne peut pas dépasser le montant."
    assert business_snapshot().changes_since(before) == {}


# --- Ids, cursors, keys -------------------------------------------------------------------------


def test_ids_of_another_shop_are_404_without_a_leak(api: ApiClient, account: Account) -> None:
    other = make_account(make_shop(), credit_limit=100_00, name="Autre")
    other_api = ApiClient(new_secret(Shop.objects.get(pk=other.shop_id)))
    charge = other_api.post(
        "/charges",
        {"customer_id": other.customer_id, "amount": "1.00", "currency": "EUR"},
        key="o-1",
    ).json()
    before = business_snapshot()

    responses = [
        api.get(f"/customers/{other.customer_id}"),
        api.get(f"/customers/{other.customer_id}/account"),
        api.get(f"/charges/{charge['id']}"),
        api.post("/payments", _payment(other), key="k-1"),
        api.post(
            f"/charges/{charge['id']}/credit-notes",
            {"amount": "1.00", "currency": "EUR", "reason": "x"},
            key="k-2",
        ),
        api.post("/reversals", {"charge_id": charge["id"], "reason": "x"}, key="k-3"),
    ]

    for response in responses:
        assert response.status_code == 404, response.content
        assert response.json()["error"]["code"] == "not_found"
        assert "Autre" not in response.content.decode()
    assert business_snapshot().changes_since(before) == {}
    assert Charge.objects.filter(account=other).count() == 1


@pytest.mark.parametrize("charge_id", ["0", "-1", "9223372036854775808", "abc"])
def test_an_id_that_cannot_name_a_row_is_400(api: ApiClient, charge_id: str) -> None:
    _refused(api.get(f"/charges/{charge_id}"), 400, "invalid_value", "charge_id")


@pytest.mark.parametrize(
    "cursor",
    ["garbage", "Zm9vYmFy", "MQ:1xaJW7:IRl0HVMiTU7cVQ1Frn8SctSbnlSzzN2fwaBwVK1y", "A" * 600],
)
def test_a_cursor_not_given_by_the_list_is_invalid_cursor(
    api: ApiClient, account: Account, cursor: str
) -> None:
    _refused(api.get("/customers", cursor=cursor), 400, "invalid_cursor", "cursor")


def test_a_cursor_of_another_list_is_invalid_cursor(api: ApiClient, account: Account) -> None:
    make_account(Shop.objects.get(pk=account.shop_id), name="Second")
    cursor = api.get("/customers", limit=1).json()["next_cursor"]

    _refused(api.get("/charges", cursor=cursor), 400, "invalid_cursor", "cursor")


@pytest.mark.parametrize("limit", ["0", "-1", "1000000000", "abc"])
def test_a_limit_out_of_range_is_400(api: ApiClient, limit: str) -> None:
    _refused(api.get("/customers", limit=limit), 400, "invalid_value", "limit")


@pytest.mark.parametrize(
    "header", ["", "Bearer", "Bearer ", "Basic abc", "Token ard_x", "Bearer " + "x" * 5000]
)
def test_a_malformed_authorization_header_is_401(account: Account, header: str) -> None:
    client = ApiClient(None)
    client.headers["Authorization"] = header

    response = client.get("/customers")

    assert response.status_code == 401
    assert response.json()["error"]["code"] in {"api_key_required", "invalid_api_key"}


@pytest.mark.parametrize("key", ["", "a" * 65, "a" * 300, "a b", "a\tb"])
def test_an_idempotency_key_out_of_its_alphabet_is_refused(
    api: ApiClient, account: Account, key: str
) -> None:
    before = business_snapshot()

    response = api.post("/top-ups", _payment(account), key=key)

    _refused(response, 400, "idempotency_key_required", "Idempotency-Key")
    assert business_snapshot().changes_since(before) == {}


def test_one_idempotency_key_on_two_endpoints_is_409(api: ApiClient, account: Account) -> None:
    assert api.post("/top-ups", _payment(account), key="k-1").status_code == 201
    before = business_snapshot()

    response = api.post("/payments", _payment(account), key="k-1")

    _refused(response, 409, "idempotency_key_reused", "Idempotency-Key")
    assert business_snapshot().changes_since(before) == {}


def test_one_idempotency_key_on_two_api_keys_is_two_requests(shop: Shop, account: Account) -> None:
    """The key is the caller's: two tills of one shop may both send "1" and mean two sales."""
    first, second = (
        ApiClient(new_secret(shop, name="Till 1")),
        ApiClient(new_secret(shop, name="Till 2")),
    )

    one = first.post("/top-ups", _payment(account), key="1")
    two = second.post("/top-ups", _payment(account), key="1")

    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["id"] != two.json()["id"]
    assert "Idempotent-Replayed" not in two


def test_a_key_without_the_scope_is_403_and_writes_nothing(api_for: Any, account: Account) -> None:
    reader = api_for(["sales.view"], language="fr")
    before = business_snapshot()

    response = reader.post("/top-ups", _payment(account), key="k-1")

    error = _refused(response, 403, "scope_missing", None)
    assert error["message"] == "Cette clé d'API n'a pas la permission payments.record."
    assert business_snapshot().changes_since(before) == {}


# --- Reversals ----------------------------------------------------------------------------------


def test_reversing_twice_is_409_and_writes_nothing(api_fr: ApiClient, account: Account) -> None:
    credit = api_fr.post("/top-ups", _payment(account), key="t-1").json()
    assert (
        api_fr.post("/reversals", {"credit_id": credit["id"], "reason": "Erreur"}, key="r-1")
    ).status_code == 201
    before = business_snapshot()

    response = api_fr.post("/reversals", {"credit_id": credit["id"], "reason": "Erreur"}, key="r-2")

    error = _refused(response, 409, "already_reversed", None)
    assert error["message"] == "Cette écriture a déjà été annulée."
    assert business_snapshot().changes_since(before) == {}


@pytest.mark.parametrize(
    ("path", "extra"),
    [("/charges", {"vat": "2.00"}), ("/payments", {"mode": "cash", "received_at": "2026-01-01"})],
)
def test_a_field_the_request_does_not_know_is_refused(
    api_fr: ApiClient, account: Account, path: str, extra: dict[str, Any]
) -> None:
    """A misspelt field is not ignored: "vat" for "vat_amount" would record a sale without VAT."""
    before = business_snapshot()

    response = api_fr.post(path, {**_charge(account), **extra}, key="k-1")

    field = list(extra)[-1]
    error = _refused(response, 400, "unknown_field", field)
    assert error["message"] == "Ce champ ne fait pas partie de cette requête : vérifiez son nom."
    assert business_snapshot().changes_since(before) == {}


def test_an_unknown_field_in_an_order_line_is_named_with_its_line(
    api: ApiClient, account: Account
) -> None:
    line = {"description": "Pain", "quantity": "1", "unit_price": "1.50", "vat_rate": "5.5"}
    body = {"customer_id": account.customer_id, "currency": "EUR"}

    response = api.post("/orders", {**body, "lines": [line, {**line, "price": "2"}]}, key="k-1")

    _refused(response, 400, "unknown_field", "lines.1.price")
