from django import template

from ardoise.core.money import DEFAULT_CURRENCY, format_money, to_decimal

register = template.Library()


@register.filter(name="money")
def money_filter(minor: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """`{{ account.balance|money }}` shows minor units in the active locale."""
    if minor is None:
        return ""
    return format_money(int(minor), currency)


@register.filter(name="decimal_amount")
def decimal_amount_filter(minor: int | None, currency: str = DEFAULT_CURRENCY) -> str:
    """The plain decimal value (for form inputs): `1234.50`."""
    if minor is None:
        return ""
    return str(to_decimal(int(minor), currency))
