"""Template helpers of the sales area."""

from typing import Any

from django import template

from ardoise.core.forms import new_key
from ardoise.statements.templatetags.document_tags import get_item, quantity, unit_price

register = template.Library()
# The filters the documents use (invoice lines, receipts) live with the documents, one layer
# down; the sales area's templates keep loading them from here too.
register.filter("get_item", get_item)
register.filter("unit_price", unit_price)
register.filter("quantity", quantity)


@register.simple_tag
def cell(row: Any, mode: str) -> tuple[int, int]:
    return row.cells.get(mode, (0, 0))


@register.simple_tag
def new_key_tag() -> str:
    """A fresh idempotency key, generated when the form is rendered."""
    return new_key()


@register.simple_tag
def recent_sales(customer: Any, limit: int = 8) -> list[Any]:
    """The customer's latest sales and orders, for the Account tab's panel."""
    from ardoise.invoicing.selectors import recent_orders_for_customer

    return recent_orders_for_customer(customer.shop_id, customer.pk, limit)
