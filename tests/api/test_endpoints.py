"""The endpoints end to end through the services the back office uses: a till's day."""

import datetime as dt

from django.utils import timezone

from ardoise.invoicing.models import Invoice, Order, OrderStatus
from ardoise.ledger.models import Account, Charge, ChargeStatus, Credit, CreditStatus
from ardoise.shops.models import Shop
from ardoise.statements.models import Statement
from tests.api.conftest import ApiClient, business_snapshot
from tests.factories import make_account


def test_a_customer_is_created_with_an_account_found_and_read(api: ApiClient, shop: Shop) -> None:
    created = api.post(
        "/customers",
        {"name": "Léa Petit", "email": "lea@example.fr", "credit_limit": "50.00"},
        key="new-customer-1",
    )

    assert created.status_code == 201
    customer_id = created.json()["id"]
    account = Account.objects.get(customer_id=customer_id)
    assert account.credit_limit == 50_00
    found = api.get("/customers", q="lea")
    assert found.json()["items"] == [created.json()]  # to the microsecond, as created
    assert api.get(f"/customers/{customer_id}").json() == created.json()
    assert api.get(f"/customers/{customer_id}/account").json() == {
        "customer_id": customer_id,
        "currency": "EUR",
        "balance": "0.00",
        "debt": "0.00",
        "deposit": "0.00",
        "credit_limit": "50.00",
        "available_credit": "50.00",
        "is_over_limit": False,
    }


def test_an_invalid_email_is_refused_with_its_field(api: ApiClient, shop: Shop) -> None:
    before = business_snapshot()

    response = api.post("/customers", {"name": "X", "email": "not-an-email"}, key="bad-mail")

    assert response.status_code == 422
    assert response.json()["error"]["field"] == "email"
    assert business_snapshot().changes_since(before) == {}


def test_every_list_pages_by_cursor(api: ApiClient, shop: Shop) -> None:
    ids = [make_account(shop, name=f"Client {n}").customer_id for n in range(5)]

    first = api.get("/customers", limit=2).json()
    second = api.get("/customers", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/customers", limit=2, cursor=second["next_cursor"]).json()

    seen = [row["id"] for page in (first, second, third) for row in page["items"]]
    assert seen == ids
    assert third["next_cursor"] is None
    forged = api.get("/customers", cursor=first["next_cursor"][:-2] + "xx")
    assert (forged.status_code, forged.json()["error"]["code"]) == (400, "invalid_cursor")
    foreign = api.get("/charges", cursor=first["next_cursor"])  # another list's cursor
    assert foreign.status_code == 400


def test_a_tills_day_charge_pay_top_up_refund_reverse(api: ApiClient, account: Account) -> None:
    customer = account.customer_id
    sale = api.post(
        "/charges",
        {
            "customer_id": customer,
            "amount": "30.00",
            "vat_amount": "1.56",
            "currency": "EUR",
            "reference": "T-42",
        },
        key="sale-42",
    )
    assert sale.status_code == 201
    assert sale.json()["balance_after"] == "-30.00"
    charge_id = sale.json()["id"]

    paid = api.post(
        "/payments",
        {"customer_id": customer, "amount": "10.00", "currency": "EUR", "mode": "cash"},
        key="pay-1",
    )
    assert paid.status_code == 201
    assert paid.json()["unapplied_amount"] == "0.00"  # it settled the sale
    topped = api.post(
        "/top-ups",
        {"customer_id": customer, "amount": "5.00", "currency": "EUR", "mode": "card"},
        key="top-1",
    )
    assert topped.status_code == 201
    refund = api.post(
        f"/charges/{charge_id}/credit-notes",
        {"amount": "4.00", "currency": "EUR", "reason": "Damaged box"},
        key="refund-1",
    )
    assert refund.status_code == 201
    assert refund.json()["kind"] == "credit_note"

    account.refresh_from_db()
    assert account.balance == -30_00 + 10_00 + 5_00 + 4_00
    assert api.get(f"/customers/{customer}/account").json()["balance"] == "-11.00"
    credits = api.get("/credits", customer_id=customer).json()["items"]
    assert [row["kind"] for row in credits] == ["payment", "top_up", "credit_note"]
    read_back = api.get(f"/charges/{charge_id}").json()
    assert (read_back["reference"], read_back["balance_after"]) == ("T-42", "-30.00")

    reversed_top_up = api.post(
        "/reversals", {"credit_id": topped.json()["id"], "reason": "Wrong customer"}, key="rev-1"
    )
    assert reversed_top_up.status_code == 201
    assert reversed_top_up.json()["amount"] == "-5.00"
    assert Credit.objects.get(pk=topped.json()["id"]).status == CreditStatus.VOID
    again = api.post(
        "/reversals", {"credit_id": topped.json()["id"], "reason": "Wrong customer"}, key="rev-2"
    )
    assert (again.status_code, again.json()["error"]["code"]) == (409, "already_reversed")

    today = timezone.localdate()
    activity = api.get(
        f"/customers/{customer}/account/activity",
        start=(today - dt.timedelta(days=1)).isoformat(),
        end=today.isoformat(),
        limit=2,
    ).json()
    assert activity["opening_balance"] == "0.00"
    assert activity["closing_balance"] == "-16.00"
    assert [row["amount"] for row in activity["items"]] == ["-30.00", "10.00"]
    rest = api.get(
        f"/customers/{customer}/account/activity",
        start=(today - dt.timedelta(days=1)).isoformat(),
        end=today.isoformat(),
        cursor=activity["next_cursor"],
    ).json()
    assert [row["amount"] for row in rest["items"]] == ["5.00", "4.00", "-5.00"]


def test_a_reversed_charge_is_void(api: ApiClient, account: Account) -> None:
    sale = api.post(
        "/charges",
        {"customer_id": account.customer_id, "amount": "8.00", "currency": "EUR"},
        key="s",
    )

    reversal = api.post("/reversals", {"charge_id": sale.json()["id"], "reason": "Typo"}, key="r")

    assert reversal.status_code == 201
    assert Charge.objects.get(pk=sale.json()["id"]).status == ChargeStatus.VOID
    account.refresh_from_db()
    assert account.balance == 0


def test_an_order_is_created_delivered_and_another_cancelled(
    api: ApiClient, account: Account
) -> None:
    lines = [
        {
            "description": "Tomates",
            "quantity": "1.5",
            "unit_price": "4.20",
            "vat_rate": "5.5",
            "unit": "kg",
        },
        {"description": "Pain", "quantity": "2", "unit_price": "1.10", "vat_rate": "5.5"},
    ]
    created = api.post(
        "/orders",
        {"customer_id": account.customer_id, "currency": "EUR", "lines": lines},
        key="o-1",
    )
    assert created.status_code == 201
    assert created.json()["total"] == "8.50"
    account.refresh_from_db()
    assert account.balance == 0  # not in the account until delivered
    order_id = created.json()["id"]

    delivered = api.post(f"/orders/{order_id}/deliver", key="d-1")

    assert delivered.status_code == 200
    assert delivered.json()["status"] == OrderStatus.DELIVERED
    invoice = Invoice.objects.get(order_id=order_id)
    assert delivered.json()["invoice_number"] == invoice.number
    account.refresh_from_db()
    assert account.balance == -8_50
    twice = api.post(f"/orders/{order_id}/deliver", key="d-2")
    assert (twice.status_code, twice.json()["error"]["code"]) == (409, "order_not_open")

    other = api.post(
        "/orders",
        {"customer_id": account.customer_id, "currency": "EUR", "lines": lines[:1]},
        key="o-2",
    )
    cancelled = api.post(f"/orders/{other.json()['id']}/cancel", {"reason": "Absent"}, key="c")
    assert cancelled.json()["status"] == OrderStatus.CANCELLED
    assert Order.objects.get(pk=other.json()["id"]).cancel_reason == "Absent"
    listed = api.get("/orders", customer_id=account.customer_id).json()["items"]
    assert [row["id"] for row in listed] == [order_id, other.json()["id"]]


def test_a_statement_is_generated_read_and_its_pdf_served(api: ApiClient, account: Account) -> None:
    api.post(
        "/charges",
        {"customer_id": account.customer_id, "amount": "20.00", "currency": "EUR"},
        key="c",
    )

    created = api.post(f"/customers/{account.customer_id}/statements", key="st-1")
    again = api.post(f"/customers/{account.customer_id}/statements", key="st-1")

    assert created.status_code == 201
    assert again.json() == created.json()
    assert Statement.objects.filter(account=account).count() == 1
    statement_id = created.json()["id"]
    assert api.get(f"/statements/{statement_id}").json()["amount_due"] == "20.00"
    pdf = api.client.get(created.json()["pdf_url"], headers=api.headers)
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert [row["id"] for row in api.get("/statements").json()["items"]] == [statement_id]


def test_the_schema_and_the_documentation_page_are_served_offline(api: ApiClient) -> None:
    schema = api.client.get("/api/v1/openapi.json").json()
    page = api.client.get("/api/v1/docs")

    assert schema["openapi"] == "3.1.0"
    assert "/api/v1/charges" in schema["paths"]
    for status in ("400", "401", "403", "404", "409", "422"):
        assert status in schema["paths"]["/api/v1/charges"]["post"]["responses"]
    assert page.status_code == 200
    html = page.content.decode()
    assert "<script" not in html
    assert "http://" not in html.replace("http://www.w3.org", "")
    assert "https://" not in html
    assert "/api/v1/charges" in html


def test_an_order_line_keeps_its_product_and_another_shops_product_is_not_found(
    api: ApiClient, account: Account
) -> None:
    from decimal import Decimal

    from ardoise.invoicing import services as invoicing
    from ardoise.invoicing.models import OrderLine
    from tests.factories import make_shop

    def product(shop_id: int) -> int:
        made = invoicing.create_product(
            shop_id=shop_id,
            actor=None,
            name="Tomates",
            unit="kg",
            unit_price=Decimal("4.2000"),
            vat_rate=Decimal("5.5"),
        )
        return made.pk

    ours, theirs = product(account.shop_id), product(make_shop().pk)
    line = {"description": "Tomates", "quantity": "1", "unit_price": "4.20", "vat_rate": "5.5"}
    body = {"customer_id": account.customer_id, "currency": "EUR"}

    created = api.post("/orders", {**body, "lines": [{**line, "product_id": ours}]}, key="o-1")
    before = business_snapshot()
    foreign = [line, {**line, "product_id": theirs}]
    refused = api.post("/orders", {**body, "lines": foreign}, key="o-2")

    assert created.status_code == 201
    assert OrderLine.objects.get(order_id=created.json()["id"]).product_id == ours
    assert refused.status_code == 404
    assert refused.json()["error"] | {"message": ""} == {
        "code": "not_found",
        "field": "lines.1.product_id",
        "message": "",
    }
    assert business_snapshot() == before
