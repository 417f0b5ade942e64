"""The Sales list: searched by customer or invoice number, filtered by status and dates, paged."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.payments import services as payments
from ardoise.shops.models import Shop
from tests.factories import key, make_account
from tests.invoicing.builders import line

pytestmark = pytest.mark.django_db

ROW = re.compile(r'<tr data-order="(\d+)">')


def _order(account: Account, day: dt.date | None = None, price: str = "60.00") -> Order:
    return invoicing.create_order(
        account=account,
        lines=[line("Panier", "1", price)],
        actor=None,
        idempotency_key=key(),
        ordered_on=day,
    )


def _sale(account: Account, day: dt.date | None = None, price: str = "60.00") -> Invoice:
    return invoicing.deliver_order(
        order=_order(account, day, price), actor=None, idempotency_key=key()
    )


def _listed(client: Client, **params: str) -> list[int]:
    response = client.get(reverse("staff:sale_list"), params)
    assert response.status_code == 200
    return [int(pk) for pk in ROW.findall(response.content.decode())]


def test_the_sales_list_finds_a_customer_by_name_without_accents(
    owner_client: Client, shop: Shop
) -> None:
    helene = make_account(shop, email="", name="Hélène Dupré")
    other = make_account(shop, email="", name="Bruno Martin")
    hers, his = _order(helene), _order(other)

    assert _listed(owner_client, q="helene") == [hers.pk]
    assert _listed(owner_client, q="DUPRE") == [hers.pk]
    assert _listed(owner_client, q="martin") == [his.pk]


def test_the_sales_list_finds_an_invoice_by_its_number(
    owner_client: Client, account: Account
) -> None:
    first, second = _sale(account), _sale(account)

    assert _listed(owner_client, q=second.number) == [second.order_id]
    assert _listed(owner_client, q=first.number[-3:]) == [first.order_id]


def test_the_sales_list_filters_by_status(owner_client: Client, account: Account) -> None:
    not_delivered = _order(account)
    unpaid = _sale(account)
    partly = _sale(account)
    payments.settle_invoice(
        invoice=partly, mode="cash", amount=10_00, actor=None, idempotency_key=key()
    )
    paid = _sale(account)
    payments.settle_invoice(
        invoice=paid, mode="cash", amount=paid.total, actor=None, idempotency_key=key()
    )
    refunded = _sale(account)
    ledger.issue_credit_note(
        charge=refunded.charge,
        amount=refunded.total,
        reason="Returned",
        refund_mode="account",
        idempotency_key=key(),
        actor=None,
    )
    void = _sale(account)
    ledger.reverse_entry(
        entry=void.charge.entry, reason="Keyed twice", idempotency_key=key(), actor=None
    )
    cancelled = _order(account)
    invoicing.cancel_order(order=cancelled, actor=None, reason="No longer wanted")

    listed = {
        status: sorted(_listed(owner_client, status=status))
        for status in ["not_delivered", "open", "partially_paid", "paid", "void", "cancelled"]
    }

    assert listed == {
        "not_delivered": [not_delivered.pk],
        "open": [unpaid.order_id],
        "partially_paid": [partly.order_id],
        "paid": [paid.order_id],  # the refunded invoice is not "paid": its money went back
        "void": sorted([refunded.order_id, void.order_id]),
        "cancelled": [cancelled.pk],
    }
    assert len(_listed(owner_client)) == 7


def test_a_fully_refunded_sale_reads_refunded_in_the_list(
    owner_client: Client, account: Account
) -> None:
    refunded = _sale(account)
    ledger.issue_credit_note(
        charge=refunded.charge,
        amount=refunded.total,
        reason="Returned",
        refund_mode="account",
        idempotency_key=key(),
        actor=None,
    )

    page = owner_client.get(reverse("staff:sale_list")).content.decode()

    assert '<span class="badge badge-danger">Refunded</span>' in page
    assert ">Paid</span>" not in page


def test_the_sales_list_filters_by_a_range_of_days(owner_client: Client, account: Account) -> None:
    before = _order(account, dt.date(2026, 3, 31))
    first = _order(account, dt.date(2026, 4, 1))
    last = _order(account, dt.date(2026, 4, 30))
    _order(account, dt.date(2026, 5, 1))

    assert _listed(owner_client, start="2026-04-01", end="2026-04-30") == [last.pk, first.pk]
    assert _listed(owner_client, end="2026-03-31") == [before.pk]
    # A date the browser could not have sent is ignored, not a 400 or a 500.
    assert len(_listed(owner_client, start="31/03/2026")) == 4


def test_every_invoice_is_reachable_page_by_page(owner_client: Client, account: Account) -> None:
    invoices = [_sale(account, dt.date(2026, 1, 1) + dt.timedelta(days=n)) for n in range(120)]

    seen: list[int] = []
    for page in (1, 2, 3):
        seen += _listed(owner_client, page=str(page))

    assert len(seen) == 120
    assert set(seen) == {invoice.order_id for invoice in invoices}
    last = owner_client.get(reverse("staff:sale_list"), {"page": "3"}).content.decode()
    assert "120 results" in last
    assert "Page 3 of 3" in last
    assert 'rel="next"' not in last


def test_the_sales_list_keeps_its_filters_in_the_page_links(
    owner_client: Client, account: Account
) -> None:
    for _n in range(60):
        _order(account)

    page = owner_client.get(reverse("staff:sale_list"), {"status": "not_delivered"})

    assert 'href="?status=not_delivered&amp;page=2" rel="next"' in page.content.decode()


def test_htmx_search_answers_only_the_results(owner_client: Client, account: Account) -> None:
    _order(account)

    response = owner_client.get(
        reverse("staff:sale_list"),
        {"q": "camille"},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="results",
    )

    body = response.content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert "<html" not in body


def test_the_sales_list_costs_the_same_queries_for_10_or_60_sales(
    owner_client: Client, shop: Shop, django_assert_num_queries: object
) -> None:
    accounts = [make_account(shop, name=f"Client {n}") for n in range(3)]
    for n in range(10):
        _sale(accounts[n % 3])
    url = reverse("staff:sale_list")
    owner_client.get(url)  # session, language: warmed up

    # session, user, membership, the count, the page's rows (customer, invoice, charge joined)
    with django_assert_num_queries(5):  # type: ignore[operator]
        owner_client.get(url, {"q": "client", "status": "open"})
    for n in range(50):
        _sale(accounts[n % 3])
    with django_assert_num_queries(5):  # type: ignore[operator]
        owner_client.get(url, {"q": "client", "status": "open"})
