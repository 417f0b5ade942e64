from django import template
from django.utils.formats import get_format

from ardoise.core.forms import amount_input_value
from ardoise.core.money import DEFAULT_CURRENCY, format_money

register = template.Library()


@register.filter(name="money")
def money_filter(minor: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """`{{ account.balance|money }}` shows minor units in the active locale."""
    if minor is None:
        return ""
    return format_money(int(minor), currency)


@register.filter(name="input_amount")
def input_amount_filter(minor: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """An amount as an input's value, as `MoneyField` writes it (`12,50` in French, `12.50` in
    English); empty for nothing or zero (an empty Payments cell means nothing paid by that mode).
    """
    return amount_input_value(minor, currency, blank_zero=True)


@register.simple_tag(name="decimal_separator")
def decimal_separator_tag() -> str:
    """The reader's decimal separator, for a script that writes an amount into an input."""
    return str(get_format("DECIMAL_SEPARATOR"))
