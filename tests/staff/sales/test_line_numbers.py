"""A sale's quantity and unit price are read by the one number parser, and bounded.

`1,5`, `0,512` and `1 234,5` read in French, `1.5` in English; anything else (an exponent, an
underscore, other digits, too many decimals, zero, a negative, more than the bound) is refused
next to its cell, with nothing written, and never replaced by 1. A line's amount and the order's
total stay below what the ledger stores, and the database refuses an out-of-range line whatever
wrote it. The largest line the bounds allow renders on every page that shows it.
"""

from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test import Client
from django.urls import reverse

from ardoise.core.money import MAX_AMOUNT
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.errors import InvalidLine, OrderTooLarge
from ardoise.invoicing.models import Order, OrderLine, Product
from ardoise.invoicing.totals import MAX_QUANTITY, MAX_UNIT_PRICE, LineError, compute_totals
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop, User
from tests.factories import client_for, key, make_account, owner_of
from tests.invoicing.builders import line, make_order
from tests.support import nothing_written

pytestmark = pytest.mark.django_db


def _sale(account: Account, *rows: tuple[str, str, str, str]) -> dict[str, str]:
    data = {"customer": str(account.customer_id), "idempotency_key": key(), "action": "order"}
    for index, (item, quantity, price, vat) in enumerate(rows):
        data |= {
            f"line-{index}-item": item,
            f"line-{index}-quantity": quantity,
            f"line-{index}-price": price,
            f"line-{index}-vat": vat,
        }
    return data


def _french(user: User) -> Client:
    client = client_for(user)
    user.language = "fr"
    user.save(update_fields=["language"])
    return client


@pytest.mark.parametrize(
    ("language", "typed", "quantity"),
    [
        ("fr", "1,5", "1.500"),
        ("fr", "0,512", "0.512"),
        ("fr", "1 234,5", "1234.500"),
        ("fr", "1\u202f234,5", "1234.500"),
        ("en", "1.5", "1.500"),
        ("en", "12", "12.000"),
    ],
)
def test_a_quantity_is_read_as_a_person_types_it(
    shop: Shop, account: Account, tomatoes: Product, language: str, typed: str, quantity: str
) -> None:
    owner = owner_of(shop)
    client = _french(owner) if language == "fr" else client_for(owner)

    response = client.post(reverse("staff:sale_new"), _sale(account, ("Tomates", typed, "", "")))

    assert response.status_code == 302
    line_ = OrderLine.objects.get(order__account=account)
    assert str(line_.quantity) == quantity


def test_a_unit_price_is_read_as_a_person_types_it(
    shop: Shop, account: Account, owner_client: Client
) -> None:
    response = owner_client.post(
        reverse("staff:sale_new"), _sale(account, ("Fromage", "0,512", "24,125", "5,5"))
    )

    assert response.status_code == 302
    line_ = OrderLine.objects.get(order__account=account)
    assert (line_.unit_price, line_.vat_rate, line_.amount) == (
        Decimal("24.1250"),
        Decimal("5.50"),
        12_35,  # 0.512 x 24.125 = 12.352 -> 12.35
    )


def test_an_empty_quantity_is_one_and_the_cell_says_so(
    account: Account, tomatoes: Product, owner_client: Client
) -> None:
    page = owner_client.get(reverse("staff:sale_new")).content.decode()
    response = owner_client.post(reverse("staff:sale_new"), _sale(account, ("Tomates", "", "", "")))

    assert 'placeholder="1" class="quantity"' in page
    assert response.status_code == 302
    assert OrderLine.objects.get(order__account=account).quantity == Decimal(1)


BAD_QUANTITIES = [
    ("abc", "Enter a number, for example 1.5."),
    ("1e3", "Enter a number, for example 1.5."),
    ("1e400000", "Enter a number, for example 1.5."),
    ("1_000", "Enter a number, for example 1.5."),
    ("١٢", "Enter a number, for example 1.5."),
    ("NaN", "Enter a number, for example 1.5."),
    ("1,2,3", "Enter a number, for example 1.5."),
    ("1,2345", "Enter at most 3 decimals."),
    ("0", "Enter a number above zero."),
    ("-2", "Enter a number of zero or more."),
    ("1000000", "Enter a number below 1,000,000."),
    ("10000000000000000000", "Enter a number below 1,000,000."),
    ("9" * 40, "Enter a number, for example 1.5."),
]


@pytest.mark.parametrize(("typed", "message"), BAD_QUANTITIES)
def test_a_bad_quantity_is_refused_next_to_its_cell_and_never_replaced_by_one(
    account: Account, tomatoes: Product, owner_client: Client, typed: str, message: str
) -> None:
    with nothing_written():
        response = owner_client.post(
            reverse("staff:sale_new"), _sale(account, ("Tomates", typed, "", ""))
        )

    body = response.content.decode()
    assert response.status_code == 400
    cell = body.split('name="line-0-quantity"', 1)[1].split("</td>", 1)[0]
    assert f'<div class="errorlist">{message}</div>' in cell


BAD_PRICES = [
    ("1e400000", "Enter a number, for example 1.5."),
    ("-1", "Enter a number of zero or more."),
    ("1,23456", "Enter at most 4 decimals."),
    ("10000000", "Enter a number below 10,000,000."),
    ("١", "Enter a number, for example 1.5."),
]


@pytest.mark.parametrize(("typed", "message"), BAD_PRICES)
def test_a_bad_unit_price_is_refused_next_to_its_cell(
    account: Account, owner_client: Client, typed: str, message: str
) -> None:
    with nothing_written():
        response = owner_client.post(
            reverse("staff:sale_new"), _sale(account, ("Fromage", "1", typed, "5.5"))
        )

    body = response.content.decode()
    assert response.status_code == 400
    cell = body.split('name="line-0-price"', 1)[1].split("</td>", 1)[0]
    assert f'<div class="errorlist">{message}</div>' in cell


@pytest.mark.parametrize(("typed", "message"), [("100", "Enter a number below 100.")])
def test_a_bad_vat_rate_is_refused_next_to_its_cell(
    account: Account, owner_client: Client, typed: str, message: str
) -> None:
    with nothing_written():
        response = owner_client.post(
            reverse("staff:sale_new"), _sale(account, ("Fromage", "1", "2", typed))
        )

    assert response.status_code == 400
    cell = response.content.decode().split('name="line-0-vat"', 1)[1].split("</td>", 1)[0]
    assert f'<div class="errorlist">{message}</div>' in cell


def test_a_line_whose_amount_is_too_large_is_refused(
    account: Account, owner_client: Client
) -> None:
    with nothing_written():
        response = owner_client.post(
            reverse("staff:sale_new"), _sale(account, ("Or", "999999", "9999999", "20"))
        )

    assert response.status_code == 400
    assert "This line&#x27;s amount is too large." in response.content.decode()


def test_lines_whose_sum_is_too_large_are_refused(account: Account, owner_client: Client) -> None:
    # Each line is just below the bound (99 999 900 000,00 €); two of them are not.
    big = ("Or", "999999", "99999.9", "20")

    with nothing_written():
        response = owner_client.post(reverse("staff:sale_new"), _sale(account, big, big))

    assert response.status_code == 400
    assert "total is too large. Split it into several orders." in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        line("Tomates", "1000000", "1.00"),
        line("Tomates", "1.2345", "1.00"),
        line("Tomates", "1", "10000000"),
        line("Tomates", "1", "1.23456"),
        line("Tomates", "1", "1", vat="100"),
    ],
)
def test_the_service_refuses_a_line_out_of_bounds(account: Account, bad: object) -> None:
    with pytest.raises(LineError):
        compute_totals([bad])  # type: ignore[list-item]
    with nothing_written(), pytest.raises(InvalidLine):
        invoicing.create_order(account=account, lines=[bad], actor=None, idempotency_key=key())  # type: ignore[list-item]


def test_the_service_refuses_an_order_whose_total_is_too_large(account: Account) -> None:
    big = line("Or", "999999", "99999.9")

    with nothing_written(), pytest.raises(OrderTooLarge):
        invoicing.create_order(account=account, lines=[big, big], actor=None, idempotency_key=key())


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("quantity", MAX_QUANTITY),
        ("quantity", Decimal(0)),
        ("unit_price", MAX_UNIT_PRICE),
        ("unit_price", Decimal(-1)),
        ("vat_rate", Decimal(100)),
        ("amount", MAX_AMOUNT),
        ("amount", -1),
    ],
)
def test_the_database_refuses_an_order_line_out_of_bounds(
    account: Account, column: str, value: object
) -> None:
    order = make_order(account)
    lines = OrderLine.objects.filter(order=order)

    with pytest.raises(IntegrityError), transaction.atomic():
        lines.update(**{column: value})


@pytest.mark.skipif("connection.vendor != 'sqlite'")
def test_sqlite_refuses_a_float_as_a_line_amount(account: Account) -> None:
    order = make_order(account)

    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE invoicing_order_line SET amount = 12.5 WHERE order_id = %s", [order.pk]
        )


def test_the_largest_lines_the_bounds_allow_render_on_every_page(shop: Shop) -> None:
    account = make_account(shop, name="Grossiste", credit_limit=None)
    order = invoicing.create_order(
        account=account,
        lines=[
            line("Grains", "999999.999", "0.0001", unit="g"),
            line("Lingot", "0.001", "9999999.9999", vat="20"),
            line("Camion", "999999", "99999.9999", vat="2.1", unit="kg"),
        ],
        actor=None,
        idempotency_key=key(),
    )
    invoice = invoicing.deliver_order(order=order, actor=None, idempotency_key=key())
    open_order = invoicing.create_order(
        account=account,
        lines=[line("Camion", "999999.999", "99999.9", unit="kg")],
        actor=None,
        idempotency_key=key(),
    )
    client = client_for(owner_of(shop))
    charge = [invoice.charge_id]
    pages = [
        reverse("staff:order_detail", args=[open_order.pk]),
        reverse("staff:charge_detail", args=charge),
        reverse("staff:invoice_print", args=charge),
        reverse("staff:invoice_pdf", args=charge),
        reverse("staff:receipt", args=charge) + "?gift=1",
        reverse("staff:receipt", args=charge),
        reverse("staff:charge_refund", args=charge),
        reverse("staff:sale_list"),
        reverse("staff:customer_account", args=[account.customer_id]),
        reverse("staff:statement_preview", args=[account.customer_id]),
        reverse("staff:payments_week"),
        reverse("staff:credit_account_list"),
    ]

    answers = {url: client.get(url).status_code for url in pages}

    assert answers == {url: 200 for url in pages}
    assert Order.objects.get(pk=open_order.pk).total == 99_999_899_900_00


def test_a_duplicate_product_name_and_its_double_click_say_so(
    shop: Shop, tomatoes: Product, owner_client: Client
) -> None:
    data = {"name": "Courgettes", "unit": "kg", "unit_price": "3,10", "vat_rate": "5.5"}
    first = owner_client.post(reverse("staff:product_list"), data)

    with nothing_written():
        second = owner_client.post(reverse("staff:product_list"), data)
        other_case = owner_client.post(reverse("staff:product_list"), data | {"name": "courgettes"})
        renamed = owner_client.post(reverse("staff:product_edit", args=[tomatoes.pk]), data)

    assert (first.status_code, second.status_code) == (302, 400)
    assert (other_case.status_code, renamed.status_code) == (400, 400)
    assert "The catalogue already has a product named “Courgettes”." in second.content.decode()
    assert "already has a product named “courgettes”." in other_case.content.decode()
    assert "already has a product named “Courgettes”." in renamed.content.decode()
    product = Product.objects.get(shop=shop, name="Courgettes")
    assert product.unit_price == Decimal("3.1000")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e400000", "Enter a number, for example 1.5."),
        ("10000000", "Enter a number below 10,000,000."),
        ("1,23456", "Enter at most 4 decimals."),
        ("-1", "Enter a number of zero or more."),
    ],
)
def test_a_bad_catalogue_price_is_refused_next_to_the_field(
    shop: Shop, owner_client: Client, typed: str, message: str
) -> None:
    data = {"name": "Courgettes", "unit": "kg", "unit_price": typed, "vat_rate": "5.5"}

    with nothing_written():
        response = owner_client.post(reverse("staff:product_list"), data)

    assert response.status_code == 400
    assert message in response.content.decode()
