from typing import Any

from django.db import transaction

from ardoise.audit.services import record_event
from ardoise.customers.models import Customer

EDITABLE_FIELDS = (
    "name",
    "company",
    "email",
    "phone",
    "address",
    "postal_code",
    "city",
    "country",
    "language",
    "reference",
    "notes",
    "allow_several_orders",
)


def create_customer(*, shop_id: int, actor_id: int | None, **fields: Any) -> Customer:
    """A customer row and its audit event. `ledger.services.open_account` gives it an account."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    with transaction.atomic():
        customer = Customer(shop_id=shop_id, **fields)
        customer.full_clean()
        customer.save()
        record_event(
            shop_id=shop_id, actor_id=actor_id, action="customers.customer.created", target=customer
        )
    return customer


def update_customer(*, customer: Customer, actor_id: int | None, **fields: Any) -> Customer:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise TypeError(f"unknown customer fields: {sorted(unknown)}")
    with transaction.atomic():
        changed = {
            name: value for name, value in fields.items() if getattr(customer, name) != value
        }
        for name, value in changed.items():
            setattr(customer, name, value)
        customer.full_clean()
        if changed:  # an empty update_fields would mean a full save of every column
            customer.save(update_fields=list(changed))
        record_event(
            shop_id=customer.shop_id,
            actor_id=actor_id,
            action="customers.customer.updated",
            target=customer,
            data={"fields": sorted(changed)},
        )
    return customer
