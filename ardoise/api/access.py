"""One lookup per object type for an API caller: an id of another shop is 404, never its row."""

from typing import TypeVar

from django.db.models import Model, QuerySet
from django.http import HttpRequest

from ardoise.api.auth import Caller, require_scope
from ardoise.api.errors import ApiError
from ardoise.api.idempotency import request_key, whole_body
from ardoise.core import reads
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Order
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.shops.permissions import Permission
from ardoise.statements.models import Statement

T = TypeVar("T", bound=Model)


def _one(rows: QuerySet[T], pk: int) -> T:
    found = rows.filter(pk=pk).first()
    if found is None:
        raise ApiError(404, "not_found")
    return found


def allowed(request: HttpRequest, permission: Permission) -> Caller:
    return require_scope(request, permission)


def allowed_to_write(request: HttpRequest, permission: Permission) -> Caller:
    """The scope (403), then the Idempotency-Key and a whole body (400), before any lookup (404)
    or rule (422)."""
    caller = require_scope(request, permission)
    request_key(request)
    whole_body(request)
    return caller


def customer_for(caller: Caller, customer_id: int) -> Customer:
    return _one(Customer.objects.for_shop(caller.shop_id), customer_id)


# Every write of money starts here, so the statement is built once rather than by a queryset
# on each call (`ardoise.core.reads`); every column, so that no field is deferred (a test checks
# it); the oldest account first, as `.first()` would.
def account_for(caller: Caller, customer_id: int, *, field: str | None = None) -> Account:
    found = reads.first(Account, "shop_id = %s AND customer_id = %s", [caller.shop_id, customer_id])
    if found is None:
        raise ApiError(404, "not_found", field=field)
    return found


def charge_for(caller: Caller, charge_id: int, *, field: str | None = None) -> Charge:
    rows = Charge.objects.filter(shop_id=caller.shop_id).select_related("account", "entry")
    charge = rows.filter(pk=charge_id).first()
    if charge is None:
        raise ApiError(404, "not_found", field=field)
    return charge


def credit_for(caller: Caller, credit_id: int, *, field: str | None = None) -> Credit:
    rows = Credit.objects.filter(shop_id=caller.shop_id).select_related("account", "entry")
    credit = rows.filter(pk=credit_id).first()
    if credit is None:
        raise ApiError(404, "not_found", field=field)
    return credit


def order_for(caller: Caller, order_id: int) -> Order:
    return _one(Order.objects.for_shop(caller.shop_id).select_related("account"), order_id)


def statement_for(caller: Caller, statement_id: int) -> Statement:
    return _one(Statement.objects.filter(shop_id=caller.shop_id), statement_id)
