"""What the hostile-input walk found, each pinned by a test that failed before its fix.

1. An id beyond 64 bits in a path (`/customers/9223372036854775808/`) was a 500 on SQLite
   (OverflowError: the driver cannot bind it): paths now take ids through the `id` converter,
   and such a path is no route, a 404.
2. An id in a query or a form that `str.isdigit()` accepts but is no id (`²`, which `int()`
   refuses; `١٢`; 2^63; 5,000 digits, above what `int()` reads) was a 500 on the sale form, the
   audit log, the Payments page and its export: they now read ids with `core.ids.parse_id`.
3. A Save of the Payments page with one cell that is not an amount recorded the other cells
   and answered 400 with the error: a refused page had written. It now saves no cell.
4. A NUL, which PostgreSQL cannot hold even in a query, was a 500 there in a search (customers,
   credit accounts, the audit log, the sale form's customer picker), in a reason or a key read
   without a form (cancelling an order, delivering one, reversing a credit), in the key of a
   deposit applied by hand and in the test provider's checkout id; on SQLite the reason and
   the key were even stored. Searches drop it, those views read through forms (which refuse a
   NUL), and the checkout id is a slug.
"""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.core.ids import MAX_ID, parse_id, parse_ids
from ardoise.invoicing.models import Order, OrderStatus
from ardoise.ledger.models import Credit, CreditStatus
from tests.factories import client_for, owner_of
from tests.staff.test_permission_matrix import World, _cash_cell, build_world
from tests.support import database_snapshot

pytestmark = pytest.mark.django_db

TOO_BIG = str(MAX_ID + 1)


@pytest.fixture
def world() -> World:
    return build_world()


@pytest.fixture
def owner(world: World) -> Client:
    return client_for(owner_of(world.shop))


@pytest.mark.parametrize(
    ("text", "id_"),
    [
        ("42", 42),
        ("0", 0),
        (str(MAX_ID), MAX_ID),
        (TOO_BIG, None),
        ("9" * 5000, None),
        ("²", None),
        ("١٢", None),
        ("-1", None),
        (" 42", None),
        ("4.0", None),
        ("", None),
    ],
)
def test_an_id_is_ascii_digits_within_64_bits(text: str, id_: int | None) -> None:
    assert parse_id(text) == id_


def test_parse_ids_keeps_the_ids_in_order() -> None:
    assert parse_ids(["3", "²", "1", TOO_BIG, "2"]) == [3, 1, 2]


@pytest.mark.parametrize(
    ("name", "method"),
    [
        ("staff:customer_account", "get"),
        ("staff:customer_credit_limit", "post"),
        ("staff:customer_movement", "post"),
        ("staff:statement_preview", "get"),
        ("staff:payments_row", "post"),
    ],
)
@pytest.mark.parametrize("id_", [TOO_BIG, "9" * 30, "9" * 5000])
def test_an_id_beyond_64_bits_in_a_path_is_a_404_and_writes_nothing(
    world: World, owner: Client, name: str, method: str, id_: str
) -> None:
    url = reverse(name, args=[id_, "payment"] if name == "staff:customer_movement" else [id_])
    before = database_snapshot()

    response = owner.get(url) if method == "get" else owner.post(url, {"amount": "5"})

    assert response.status_code == 404
    assert database_snapshot().changes_since(before) == {}


@pytest.mark.parametrize("customer", ["²", "١٢", TOO_BIG, "9" * 5000])
def test_the_sale_form_takes_a_customer_that_is_no_id_as_none_chosen(
    world: World, owner: Client, customer: str
) -> None:
    before = database_snapshot()

    page = owner.get(reverse("staff:sale_new"), {"customer": customer})
    post = owner.post(
        reverse("staff:sale_new"),
        {"customer": customer, "line-0-item": "Pain", "line-0-quantity": "1", "action": "order"},
    )

    assert (page.status_code, post.status_code) == (200, 400)
    assert database_snapshot().changes_since(before) == {}


@pytest.mark.parametrize(
    "query",
    [{"customer": "²"}, {"customer": "9" * 5000}, {"staff": "²"}, {"staff": TOO_BIG}],
)
def test_the_audit_log_filters_by_no_one_for_an_id_that_is_none(
    owner: Client, query: dict[str, str]
) -> None:
    assert owner.get(reverse("staff:audit_log"), query).status_code == 200


@pytest.mark.parametrize(
    "change",
    [
        {"row": ["²"]},
        {"row": [TOO_BIG]},
        {"row": ["9" * 5000]},
        {"version": "²"},
        {"version": "9" * 5000},
    ],
)
def test_the_payments_page_reads_rows_and_versions_that_are_no_ids_as_none(
    world: World, owner: Client, change: dict[str, object]
) -> None:
    data: dict[str, object] = {"week": "", **_cash_cell(world, "25")}
    if "version" in change:
        data[f"version-{world.invoice.pk}-cash"] = change["version"]
        expected = 400  # no version of this cell is that: the page was out of date
    else:
        data["row"] = change["row"]
        expected = 302  # no row of this shop is that: nothing to save
    before = database_snapshot()

    week = owner.post(reverse("staff:payments_week"), data)
    row = owner.post(
        reverse("staff:payments_row", args=[world.invoice.pk]), {**data, "cell": "cash"}
    )

    assert week.status_code == expected
    assert row.status_code == 200
    if "version" in change:
        assert database_snapshot().changes_since(before) == {}


@pytest.mark.parametrize("field", ["invoice", "credit"])
@pytest.mark.parametrize("value", ["²", "9" * 5000, TOO_BIG])
def test_the_payments_export_skips_ids_that_are_none(owner: Client, field: str, value: str) -> None:
    response = owner.post(reverse("exports:payments"), {field: [value], "week": "2026-W01"})

    assert response.status_code == 200


@pytest.mark.parametrize("typed", ["100000000000000000000", "1e400000", "NaN", "-5"])
@pytest.mark.parametrize("url_name", ["staff:payments_week", "staff:payments_row"])
def test_a_save_with_one_unreadable_cell_saves_no_cell(
    world: World, owner: Client, typed: str, url_name: str
) -> None:
    invoice = world.invoice.pk
    data = {
        "week": "",
        **_cash_cell(world, "25"),  # a valid change of the cash cell
        f"amount-{invoice}-cheque": typed,
        f"version-{invoice}-cheque": "0",
    }
    args = [invoice] if url_name == "staff:payments_row" else []
    before = database_snapshot()

    response = owner.post(reverse(url_name, args=args), data)

    assert response.status_code == (400 if url_name == "staff:payments_week" else 200)
    assert database_snapshot().changes_since(before) == {}
    errors = response.context["errors"]
    assert list(errors[invoice]) == ["cheque"]


@pytest.mark.parametrize(
    ("name", "param"),
    [
        ("staff:customer_list", "q"),
        ("staff:credit_account_list", "q"),
        ("staff:audit_log", "q"),
        ("staff:sale_new", "customer_q"),
    ],
)
def test_a_search_drops_a_nul(owner: Client, name: str, param: str) -> None:
    response = owner.get(reverse(name), {param: "mar\x00tin"})

    assert response.status_code == 200
    assert "Camille Martin" in response.content.decode()


@pytest.mark.parametrize(
    "data", [{"reason": "\x00"}, {"reason": "Wrong", "idempotency_key": "a\x00b"}]
)
def test_reversing_a_credit_refuses_a_nul_and_writes_nothing(
    world: World, owner: Client, data: dict[str, str]
) -> None:
    credit = Credit.objects.get(settlement__pk=world.settlement_id)
    before = database_snapshot()

    response = owner.post(
        reverse("staff:credit_reverse", args=[credit.pk]), {"idempotency_key": "k1", **data}
    )

    assert response.status_code == 302
    assert database_snapshot().changes_since(before) == {}
    assert Credit.objects.get(pk=credit.pk).status != CreditStatus.VOID


def test_cancelling_an_order_refuses_a_reason_with_a_nul(world: World, owner: Client) -> None:
    before = database_snapshot()

    response = owner.post(
        reverse("staff:order_cancel", args=[world.order.pk]), {"reason": "a\x00b"}
    )

    assert response.status_code == 302
    assert database_snapshot().changes_since(before) == {}
    assert Order.objects.get(pk=world.order.pk).status == OrderStatus.OPEN


@pytest.mark.parametrize("key", ["\x00", "a\x00b", "k" * 65, ""])
def test_delivering_an_order_refuses_a_key_no_page_makes(
    world: World, owner: Client, key: str
) -> None:
    before = database_snapshot()

    response = owner.post(
        reverse("staff:order_deliver", args=[world.order.pk]), {"idempotency_key": key}
    )

    assert response.status_code == 302
    assert database_snapshot().changes_since(before) == {}
    assert Order.objects.get(pk=world.order.pk).status == OrderStatus.OPEN


def test_applying_a_deposit_with_a_nul_key_is_refused_and_writes_nothing(
    world: World, owner: Client
) -> None:
    before = database_snapshot()

    response = owner.post(
        reverse("staff:customer_apply_deposit", args=[world.account.customer_id]),
        {"charges": [str(world.invoice.charge_id)], "idempotency_key": "\x00"},
    )

    assert response.status_code == 400
    assert database_snapshot().changes_since(before) == {}


@pytest.mark.parametrize("checkout_id", ["\x00", "a\x00b", "a b", "test_é"])
def test_a_test_checkout_id_that_is_no_slug_is_no_route(checkout_id: str) -> None:
    from urllib.parse import quote

    response = Client().get(f"/p/test-provider/{quote(checkout_id)}/")

    assert response.status_code == 404


def test_no_url_takes_an_unbounded_int() -> None:
    """New routes keep to the fix: an integer in a path goes through `<id:...>`."""
    from django.urls import URLPattern, URLResolver, get_resolver
    from django.urls.converters import IntConverter

    def unbounded(patterns: list[object], prefix: str = "") -> list[str]:
        found = []
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                found += unbounded(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                converters = getattr(pattern.pattern, "converters", {}).values()
                if any(type(converter) is IntConverter for converter in converters):
                    found.append(prefix + str(pattern.pattern))
        return found

    assert unbounded(get_resolver().url_patterns) == []
