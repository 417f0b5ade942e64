"""Reads behind the audit log: the shop's events filtered by customer, staff member and kind,
each with the customer it concerns (found through the object it names)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from ardoise.audit.models import AuditEvent
from ardoise.customers.models import Customer
from ardoise.staff.audit.sentences import KINDS_BY_CODE, OVERRIDE

# How an event's object leads to its customer: object type -> path to the customer's id.
CUSTOMER_PATHS: dict[str, str] = {
    "customers.customer": "pk",
    "ledger.account": "customer_id",
    "ledger.charge": "account__customer_id",
    "ledger.credit": "account__customer_id",
    "ledger.allocation": "charge__account__customer_id",
    "ledger.journalentry": "postings__account__customer_id",
    "invoicing.order": "customer_id",
    "invoicing.invoice": "charge__account__customer_id",
    "invoicing.settlement": "invoice__charge__account__customer_id",
    "payments.settlement": "invoice__charge__account__customer_id",
    "payments.checkout": "account__customer_id",
    "statements.statement": "customer_id",
    "statements.statementsend": "customer_id",
}


def _model(object_type: str) -> type[Model] | None:
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):  # a type that has moved or gone: no customer to find
        return None


@dataclass(frozen=True)
class AuditFilter:
    customer_ids: list[int] | None = None  # None: any customer
    actor_id: int | None = None
    system_only: bool = False  # events with no staff member (the system, a customer online)
    kind: str = ""


def events_for_shop(shop_id: int, chosen: AuditFilter) -> QuerySet[AuditEvent]:
    """The shop's events, newest first, narrowed as chosen."""
    events = AuditEvent.objects.filter(shop_id=shop_id)
    if chosen.system_only:
        events = events.filter(actor__isnull=True)
    elif chosen.actor_id is not None:
        events = events.filter(actor_id=chosen.actor_id)
    kind = KINDS_BY_CODE.get(chosen.kind)
    if kind is not None:
        events = events.filter(action__in=kind.actions)
        if kind.code == OVERRIDE:
            events = events.filter(data__has_key="override_by")
    if chosen.customer_ids is not None:
        events = events.filter(_concerning(shop_id, chosen.customer_ids))
    return events.select_related("actor").order_by("-created_at", "-id")


def _concerning(shop_id: int, customer_ids: list[int]) -> Q:
    condition = Q(pk__in=[])
    for object_type, path in CUSTOMER_PATHS.items():
        model = _model(object_type)
        if model is None:
            continue
        ids = model._default_manager.filter(**{f"{path}__in": customer_ids}).values("pk")
        condition |= Q(object_type=object_type, object_id__in=ids)
    return condition


def customers_of(events: Iterable[AuditEvent]) -> dict[int, Customer]:
    """The customer each event concerns (event id -> customer), one query per object type."""
    wanted: dict[str, set[int]] = defaultdict(set)
    rows = list(events)
    for event in rows:
        if event.object_type in CUSTOMER_PATHS and event.object_id is not None:
            wanted[event.object_type].add(event.object_id)
    customer_of_object: dict[tuple[str, int], int] = {}
    for object_type, ids in wanted.items():
        model = _model(object_type)
        if model is None:
            continue
        path = CUSTOMER_PATHS[object_type]
        pairs = model._default_manager.filter(pk__in=ids).values_list("pk", path)
        for pk, customer_id in pairs:
            if customer_id is not None:
                customer_of_object[(object_type, pk)] = customer_id
    customers = Customer.objects.in_bulk(set(customer_of_object.values()))
    result = {}
    for event in rows:
        customer_id = customer_of_object.get((event.object_type, event.object_id or 0))
        if customer_id in customers:
            result[event.pk] = customers[customer_id]
    return result
