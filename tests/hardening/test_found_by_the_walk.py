"""What the hostile-input walk found, each pinned by a test that failed before its fix.

1. An id beyond 64 bits in a path (`/customers/9223372036854775808/`) was a 500 on SQLite
   (OverflowError: the driver cannot bind it): paths now take ids through the `id` converter,
   and such a path is no route, a 404.
2. An id in a query or a form that `str.isdigit()` accepts but is no id (`²`, which `int()`
   refuses; `١٢`; 2^63; 5,000 digits, above what `int()` reads) was a 500 on the sale form, the
   audit log, the Payments page and its export: they now read ids with `core.ids.parse_id`.
3. A Save of the Payments page with one cell that is not an amount recorded the other cells
   and answered 400 with the error: a refused page had written. It now saves no cell.
"""

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.core.ids import MAX_ID, parse_id, parse_ids
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
