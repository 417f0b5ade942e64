"""Amounts at the API's edge: strings of decimals in the currency's unit ("12.50"), never numbers.

A JSON number is refused by the schemas (the field is a string: pydantic does not turn 12.5 into
"12.5"), so a float never reaches money. A string goes through `core.forms.parse_amount`, the one
money parser, with the currency of the account it is for.
"""

from ardoise.api.errors import ApiError
from ardoise.core.forms import AmountTooLarge, parse_amount
from ardoise.core.money import MoneyError, to_decimal

# What the schemas accept before the parser reads it: digits and at most one dot.
AMOUNT_PATTERN = r"^[0-9]{1,14}(\.[0-9]{1,6})?$"
AMOUNT_EXAMPLE = "12.50"


def amount_text(minor: int, currency: str) -> str:
    return format(to_decimal(minor, currency), "f")


def optional_amount_text(minor: int | None, currency: str) -> str | None:
    return None if minor is None else amount_text(minor, currency)


def read_amount(text: str, *, currency: str, field: str = "amount") -> int:
    """Minor units of `text`, or a 422 naming the field."""
    try:
        return parse_amount(text, currency)
    except AmountTooLarge as error:
        raise ApiError(422, "amount_too_large", field=field) from error
    except MoneyError as error:
        code = "amount_too_precise" if "." in text else "invalid_amount"
        raise ApiError(422, code, field=field) from error


def check_currency(given: str, expected: str) -> None:
    if given != expected:
        raise ApiError(422, "currency_mismatch", field="currency", currency=expected)
