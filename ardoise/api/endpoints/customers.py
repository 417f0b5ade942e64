"""Customers (create, search, read) and their accounts (balance, Debt, Deposit, limit, activity)."""

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext_noop
from ninja import Query, Router

from ardoise.api import present
from ardoise.api.access import account_for, allowed, allowed_to_write, customer_for
from ardoise.api.errors import ERRORS, WRITE, ApiError
from ardoise.api.idempotency import run_once
from ardoise.api.money import amount_text, check_currency, read_amount
from ardoise.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, make_cursor, page_by_id, read_cursor
from ardoise.api.schemas import (
    NO_NUL,
    AccountOut,
    ActivityOut,
    CreditLimitIn,
    CustomerIn,
    CustomerOut,
    CustomerPage,
    Id,
    MovementOut,
    dump,
)
from ardoise.core.dates import clamp_day
from ardoise.customers.models import Customer
from ardoise.customers.services import create_customer
from ardoise.ledger import selectors as ledger_selectors
from ardoise.ledger import services as ledger
from ardoise.ledger.services.accounts import UNSET
from ardoise.shops.models import Shop
from ardoise.shops.permissions import Permission

router = Router(tags=[gettext_noop("customers")])

Limit = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)


@router.post(
    "/customers",
    response={201: CustomerOut, **ERRORS},
    summary=gettext_noop("Create a customer and their account"),
    operation_id="create_customer",
    openapi_extra=WRITE,
)
def create(request: HttpRequest, payload: CustomerIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.CUSTOMERS_EDIT)
    shop = Shop.objects.get(pk=caller.shop_id)
    limit: Any = UNSET
    if payload.no_limit:
        limit = None
    elif payload.credit_limit is not None:
        limit = read_amount(payload.credit_limit, currency=shop.currency, field="credit_limit")
    fields = payload.model_dump(exclude={"credit_limit", "no_limit"})

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        try:
            with transaction.atomic():
                customer = create_customer(shop_id=shop.pk, actor_id=None, **fields)
        except (ValidationError, IntegrityError) as error:
            field = next(iter(getattr(error, "message_dict", {}) or {}), None)
            raise ApiError(422, "invalid_value", field=field) from error
        ledger.open_account(customer=customer, actor=None, idempotency_key=key, credit_limit=limit)
        return 201, present.customer(customer), customer

    return run_once(request, caller, work)


@router.get(
    "/customers",
    response={200: CustomerPage, **ERRORS},
    summary=gettext_noop("Search customers (name, company, email, phone)"),
    operation_id="list_customers",
)
def search(
    request: HttpRequest,
    q: str = Query("", max_length=100, pattern=NO_NUL),
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.CUSTOMERS_VIEW)
    rows = Customer.objects.for_shop(caller.shop_id).search(q)
    page, next_cursor = page_by_id(rows, cursor=cursor, limit=limit, salt="customers")
    return {"items": [present.customer(row) for row in page], "next_cursor": next_cursor}


@router.get(
    "/customers/{customer_id}",
    response={200: CustomerOut, **ERRORS},
    summary=gettext_noop("Read a customer"),
    operation_id="read_customer",
)
def read(request: HttpRequest, customer_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.CUSTOMERS_VIEW)
    return present.customer(customer_for(caller, customer_id))


@router.get(
    "/customers/{customer_id}/account",
    response={200: AccountOut, **ERRORS},
    summary=gettext_noop(
        "The account: balance, Debt, Deposit, credit limit, what may still be charged"
    ),
    operation_id="read_account",
)
def account(request: HttpRequest, customer_id: Id) -> dict[str, Any]:
    caller = allowed(request, Permission.CUSTOMERS_VIEW)
    return present.account(account_for(caller, customer_id))


@router.post(
    "/customers/{customer_id}/account/credit-limit",
    response={200: AccountOut, **ERRORS},
    summary=gettext_noop('Change the credit limit (null: no limit; "0.00": no credit)'),
    operation_id="change_credit_limit",
    openapi_extra=WRITE,
)
def credit_limit(request: HttpRequest, customer_id: Id, payload: CreditLimitIn) -> HttpResponse:
    caller = allowed_to_write(request, Permission.CUSTOMERS_CREDIT_LIMIT)
    found = account_for(caller, customer_id)
    check_currency(payload.currency, found.currency)
    limit = (
        None
        if payload.credit_limit is None
        else read_amount(payload.credit_limit, currency=found.currency, field="credit_limit")
    )

    def work(key: str) -> tuple[int, dict[str, Any], Any]:
        changed = ledger.change_credit_limit(
            account=found,
            credit_limit=limit,
            actor=None,
            idempotency_key=key,
            reason=payload.reason,
        )
        return 200, present.account(changed), changed

    return run_once(request, caller, work)


@router.get(
    "/customers/{customer_id}/account/activity",
    response={200: ActivityOut, **ERRORS},
    summary=gettext_noop(
        "Movements of the account between two dates (inclusive), with running balances"
    ),
    operation_id="account_activity",
)
def activity(
    request: HttpRequest,
    customer_id: Id,
    start: dt.date,
    end: dt.date,
    cursor: str | None = Query(None, max_length=500),
    limit: int = Limit,
) -> dict[str, Any]:
    caller = allowed(request, Permission.CUSTOMERS_VIEW)
    found = account_for(caller, customer_id)
    today = timezone.localdate()
    start, end = clamp_day(start, today), clamp_day(end, today)
    if end < start:
        raise ApiError(400, "invalid_value", field="end")
    result = ledger_selectors.account_activity(found, start=start, end=end)
    salt = f"activity.{found.pk}.{start}.{end}"
    after = read_cursor(cursor, salt=salt)
    rows = result.rows
    if after is not None:
        if not (isinstance(after, list) and len(after) == 2 and isinstance(after[1], int)):
            raise ApiError(400, "invalid_cursor", field="cursor")
        position = (str(after[0]), after[1])
        rows = [row for row in rows if _position(row) > position]
    page = rows[:limit]
    more = len(rows) > limit
    currency = found.currency
    items = [
        MovementOut(
            posting_id=row.posting.pk,
            occurred_at=row.posting.occurred_at,
            kind=row.posting.entry.kind,
            amount=amount_text(row.amount, currency),
            balance_after=amount_text(row.running_balance, currency),
            reference=row.posting.entry.memo,
            charge_id=getattr(getattr(row.posting.entry, "charge", None), "pk", None),
            credit_id=getattr(getattr(row.posting.entry, "credit", None), "pk", None),
        )
        for row in page
    ]
    next_cursor = make_cursor(list(_position(page[-1])), salt=salt) if more and page else None
    return dump(
        ActivityOut(
            currency=currency,
            start=start,
            end=end,
            opening_balance=amount_text(result.opening_balance, currency),
            closing_balance=amount_text(result.closing_balance, currency),
            items=items,
            next_cursor=next_cursor,
        )
    )


def _position(row: ledger_selectors.ActivityRow) -> tuple[str, int]:
    """The (occurred_at, id) of a movement, the activity's order, as the cursor keeps it."""
    occurred = row.posting.occurred_at.astimezone(dt.UTC)
    return (occurred.isoformat(timespec="microseconds"), row.posting.pk)
