"""Template helpers of the sales area."""

import uuid
from typing import Any

from django import template

from ardoise.core.money import to_decimal

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`{{ labels|get_item:row.mode }}`: a dictionary lookup with a variable key."""
    return (mapping or {}).get(key, "")


@register.filter
def plain_amount(minor: int | None) -> str:
    """Minor units as a plain decimal for an input ("12.50"), empty for nothing or zero."""
    return "" if not minor else str(to_decimal(int(minor)))


@register.simple_tag
def cell(row: Any, mode: str) -> tuple[int, int]:
    return row.cells.get(mode, (0, 0))


@register.simple_tag
def new_key_tag() -> str:
    """A fresh idempotency key, generated when the form is rendered."""
    return uuid.uuid4().hex


@register.simple_tag
def recent_sales(customer: Any, limit: int = 8) -> list[Any]:
    """The customer's latest sales and orders, for the Account tab's panel."""
    from ardoise.invoicing.selectors import recent_orders_for_customer

    return recent_orders_for_customer(customer.shop_id, customer.pk, limit)


@register.filter
def unit_price(value: Any, currency: str = "EUR") -> str:
    """A unit price with 2 to 4 decimals in the reader's locale (weighed goods: `4,1250 €`)."""
    from decimal import Decimal

    from babel.numbers import format_currency
    from django.utils.translation import get_language, to_locale

    if value in (None, ""):
        return ""
    locale = to_locale(get_language() or "fr")
    return str(format_currency(Decimal(value), currency, locale=locale, decimal_quantization=False))
