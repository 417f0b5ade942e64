"""Template filters of the customer's documents (invoices, receipts), shared by the back office
and the portal: a variable-key lookup, unit prices of weighed goods, quantities with units."""

from typing import Any

from django import template

register = template.Library()


@register.filter
def get_item(mapping: dict[Any, Any] | None, key: Any) -> Any:
    """`{{ labels|get_item:row.mode }}`: a dictionary lookup with a variable key."""
    return (mapping or {}).get(key, "")


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


def _counted_units() -> dict[str, Any]:
    from django.utils.translation import ngettext

    from ardoise.invoicing.models import Unit

    return {
        Unit.PIECE: lambda n: ngettext("%(quantity)s piece", "%(quantity)s pieces", n),
        Unit.LITRE: lambda n: ngettext("%(quantity)s litre", "%(quantity)s litres", n),
        Unit.CRATE: lambda n: ngettext("%(quantity)s crate", "%(quantity)s crates", n),
        Unit.BUNCH: lambda n: ngettext("%(quantity)s bunch", "%(quantity)s bunches", n),
        Unit.DOZEN: lambda n: ngettext("%(quantity)s dozen", "%(quantity)s dozens", n),
        Unit.BOX: lambda n: ngettext("%(quantity)s box", "%(quantity)s boxes", n),
    }


@register.filter
def quantity(line: Any) -> str:
    """A line's quantity with its unit, in the reader's language: `2 pièces`, `0,512 kg`.

    The plural form is chosen on the whole part (`1,5 cagette` in French, where the plural
    starts at 2); symbols (kg, g) never change.
    """
    from decimal import Decimal

    from django.utils.formats import number_format

    value = Decimal(line.quantity).normalize()
    shown = number_format(value)
    message = _counted_units().get(line.unit)
    if message is None:
        return f"{shown}\xa0{line.get_unit_display()}"
    return str(message(int(value) if value >= 1 else 1) % {"quantity": shown})
