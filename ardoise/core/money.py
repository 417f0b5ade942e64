"""Money: integers of minor units inside, Decimal at the edges, Babel for display.

Every stored amount is an `int` of minor units (cents for EUR). Conversions happen only here:
`to_minor` takes what a form, an API schema or a file gives (Decimal or str) and refuses floats,
because a float cannot hold most decimal amounts exactly; `to_decimal` gives the edge value back;
`format_money` shows it in the reader's locale (French: ``1 234,50 €``).
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision
from django.utils.translation import get_language, to_locale

DEFAULT_CURRENCY = "EUR"

# Bounds on every stored amount, so that no sum the ledger makes can overflow a 64-bit integer
# (2^63 - 1 ≈ 9.2 * 10^18). One amount (a sale, a payment, a limit) is below MAX_AMOUNT minor
# units (10^13: 100 billion euros); Debt, Deposit and so the balance stay within MAX_BALANCE
# (10^17), which leaves a factor of 90 to the integer's end for any sum of them. The forms refuse
# more, the ledger's services refuse more, and CHECK constraints on both databases refuse more.
MAX_AMOUNT = 10**13
MAX_BALANCE = 10**17


class MoneyError(ValueError):
    """An amount that cannot be taken as money (a float, not a number, too precise)."""


@lru_cache(maxsize=256)
def minor_exponent(currency: str = DEFAULT_CURRENCY) -> int:
    """Decimals of the currency (2 for EUR, 0 for JPY), looked up in Babel's data once per
    currency rather than for every amount read or written."""
    return int(get_currency_precision(currency))


def round_minor(value: Decimal, currency: str = DEFAULT_CURRENCY) -> int:
    """Round a Decimal amount in major units to minor units, half away from zero, once."""
    if isinstance(value, float):
        raise MoneyError("floats are not accepted as money")
    quantum = Decimal(1).scaleb(-minor_exponent(currency))
    return int(value.quantize(quantum, rounding=ROUND_HALF_UP).scaleb(minor_exponent(currency)))


def to_minor(value: Decimal | str | int, currency: str = DEFAULT_CURRENCY) -> int:
    """Exact conversion of an edge value in major units to minor units.

    Refuses floats and any value with more decimals than the currency has: rounding a typed
    amount silently would invent or lose money.
    """
    if isinstance(value, (bool, float)):
        raise MoneyError("floats are not accepted as money")
    if isinstance(value, int):
        decimal_value = Decimal(value)
    elif isinstance(value, Decimal):
        decimal_value = value
    else:
        try:
            decimal_value = Decimal(str(value).strip().replace(",", "."))
        except InvalidOperation as error:
            raise MoneyError(f"not an amount: {value!r}") from error
    if not decimal_value.is_finite():
        raise MoneyError(f"not an amount: {value!r}")
    scaled = decimal_value.scaleb(minor_exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"too many decimals for {currency}: {value!r}")
    return int(scaled)


def to_decimal(minor: int, currency: str = DEFAULT_CURRENCY) -> Decimal:
    return Decimal(minor).scaleb(-minor_exponent(currency))


def format_money(minor: int, currency: str = DEFAULT_CURRENCY, locale: str | None = None) -> str:
    """`1 234,50 €` in French, `€1,234.50` in English: the reader's locale by default."""
    if locale is None:
        locale = to_locale(get_language() or "fr")
    return str(format_currency(to_decimal(minor, currency), currency, locale=locale))


def require_minor(value: object, *, name: str = "amount") -> int:
    """Guard for service arguments: an exact int of minor units, nothing else."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MoneyError(f"{name} must be an integer of minor units, not {type(value).__name__}")
    return value
