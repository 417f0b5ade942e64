"""Orders (create, deliver, cancel) through `invoicing.services`, and statements (generate,
read, PDF) through `statements.issuing.issue_statement` and its PDF."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import Query, Router, Status

from ardoise.api import present
from ardoise.api.access import account_for, allowed, allowed_to_write, order_for, statement_for
from ardoise.api.errors import ERRORS, WRITE, ApiError
from ardoise.api.idempotency import ledger_key, request_key, run_once
from ardoise.api.money import check_currency
from ardoise.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, page_by_id
from ardoise.api.schemas import (
    CancelIn,
    Id,
    OrderIn,
    OrderOut,
    OrderPage,
    StatementOut,
    StatementPage,
)
from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Order, OrderChannel, Product, Unit
from ardoise.invoicing.totals import LineInput
from ardoise.shops.permissions import Permission
from ardoise.statements.issuing import issue_statement
from ardoise.statements.models import Statement
from ardoise.statements.rendering import render_statement_pdf

router = Router(tags=[gettext_noop("orders and statements")])

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.post(
    "/orders",
    response={201: OrderOut, **ERRORS},
    summary=gettext_noop("Create an order (not in the account until it is delivered)"),
    operation_id="create_order",
    openapi_extra=WRITE,
)
def create_order(request: HttpRequest, payload: OrderIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.SALES_CREATE)
    account = account_for(caller, payload.customer_id, field="customer_id")
    check_currency(payload.currency, account.currency)
    for line in payload.lines:
        if line.unit not in Unit.values:
            raise ApiError(422, "invalid_value", field="lines")
    _check_products(caller.shop_id, [line.product_id for line in payload.lines])
    lines = [
        LineInput(
            description=line.description,
            quantity=Decimal(line.quantity),
            unit_price=Decimal(line.unit_price),
            vat_rate=Decimal(line.vat_rate),
            unit=line.unit,
            product_id=line.product_id,
        )
        for line in payload.lines
    ]

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        order = invoicing.create_order(
            account=account,
            lines=lines,
            actor=None,
            idempotency_key=key,
            note=payload.note,
            channel=OrderChannel.API,
        )
        return 201, present.order(order), order

    return run_once(request, caller, work)


def _check_products(shop_id: int, product_ids: list[int | None]) -> None:
    """A line's `product_id` links it to a product of this shop's catalogue (the line keeps its
    own description and price): one of another shop, or none, is 404 on that line."""
    wanted = {pk for pk in product_ids if pk is not None}
    found = set(Product.objects.filter(shop_id=shop_id, pk__in=wanted).values_list("pk", flat=True))
    for position, pk in enumerate(product_ids):
        if pk is not None and pk not in found:
            raise ApiError(404, "not_found", field=f"lines.{position}.product_id")


@router.get(
    "/orders",
    response={200: OrderPage, **ERRORS},
    summary=gettext_noop("Orders, oldest first; of one customer with customer_id"),
    operation_id="list_orders",
)
def list_orders(
    request: HttpRequest,
    customer_id: Id | None = None,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    rows = Order.objects.for_shop(caller.shop_id).select_related("account")
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    page, next_cursor = page_by_id(rows, cursor=cursor, limit=limit, salt="orders")
    return {"items": [present.order(row) for row in page], "next_cursor": next_cursor}


@router.get(
    "/orders/{order_id}",
    response={200: OrderOut, **ERRORS},
    summary=gettext_noop("Read an order"),
    operation_id="read_order",
)
def read_order(request: HttpRequest, order_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.SALES_VIEW)
    return present.order(order_for(caller, order_id))


@router.post(
    "/orders/{order_id}/deliver",
    response={200: OrderOut, **ERRORS},
    summary=gettext_noop(
        "Deliver an order: issue its invoice and charge it to the account (credit limit)"
    ),
    operation_id="deliver_order",
    openapi_extra=WRITE,
)
def deliver_order(request: HttpRequest, order_id: Id) -> HttpResponse:
    caller = allowed_to_write(request, Permission.SALES_DELIVER)
    order = order_for(caller, order_id)

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        invoice = invoicing.deliver_order(order=order, actor=None, idempotency_key=key)
        return 200, present.order(Order.objects.get(pk=order.pk)), invoice

    return run_once(request, caller, work)


@router.post(
    "/orders/{order_id}/cancel",
    response={200: OrderOut, **ERRORS},
    summary=gettext_noop("Cancel an order that is not delivered"),
    operation_id="cancel_order",
    openapi_extra=WRITE,
)
def cancel_order(request: HttpRequest, order_id: Id, payload: CancelIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.SALES_DELIVER)
    order = order_for(caller, order_id)

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        cancelled = invoicing.cancel_order(order=order, actor=None, reason=payload.reason)
        return 200, present.order(cancelled), cancelled

    return run_once(request, caller, work)


@router.post(
    "/customers/{customer_id}/statements",
    response={201: StatementOut, **ERRORS},
    summary=gettext_noop(
        "Generate a statement of the account now (or the last one, if nothing changed)"
    ),
    operation_id="create_statement",
    openapi_extra=WRITE,
)
def create_statement(request: HttpRequest, customer_id: Id) -> Status:
    """`issue_statement` is a use case of its own (durable), so the API's idempotency record
    cannot share its transaction; its own key (derived from `Idempotency-Key`) makes a retry
    return the first statement. A statement moves no money."""
    caller = allowed_to_write(request, Permission.STATEMENTS_SEND)
    account = account_for(caller, customer_id)
    key = request_key(request)
    statement = issue_statement(
        account=account, actor=None, idempotency_key=ledger_key(caller, f"statement:{key}")
    )
    return Status(201, present.statement(statement))


@router.get(
    "/statements",
    response={200: StatementPage, **ERRORS},
    summary=gettext_noop("Statements, oldest first; of one customer with customer_id"),
    operation_id="list_statements",
)
def list_statements(
    request: HttpRequest,
    customer_id: Id | None = None,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.STATEMENTS_SEND)
    rows = Statement.objects.filter(shop_id=caller.shop_id)
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    page, next_cursor = page_by_id(rows, cursor=cursor, limit=limit, salt="statements")
    return {"items": [present.statement(row) for row in page], "next_cursor": next_cursor}


@router.get(
    "/statements/{statement_id}",
    response={200: StatementOut, **ERRORS},
    summary=gettext_noop("Read a statement"),
    operation_id="read_statement",
)
def read_statement(request: HttpRequest, statement_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.STATEMENTS_SEND)
    return present.statement(statement_for(caller, statement_id))


@router.get(
    "/statements/{statement_id}/pdf",
    response={200: None, **ERRORS},
    summary=gettext_noop("The statement as a PDF"),
    operation_id="statement_pdf",
    url_name="statement_pdf",
    openapi_extra={
        "responses": {
            200: {
                "description": gettext_noop("The PDF"),
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def statement_pdf(request: HttpRequest, statement_id: Id) -> HttpResponse:
    caller = allowed(request, Permission.STATEMENTS_SEND)
    statement = statement_for(caller, statement_id)
    response = HttpResponse(render_statement_pdf(statement), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="statement-{statement.number}.pdf"'
    return response
