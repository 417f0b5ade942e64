"""A document's amounts, computed once: line amounts, then per VAT rate, then the totals.

Prices include VAT (what a farm stall or a grocer displays). Each line's amount is
quantity x unit price rounded once to minor units; a rate's total is the sum of its lines; its VAT
is that total x rate / (100 + rate), rounded once; its net is the total less the VAT. The
document's net, VAT and total are the sums over rates. No float anywhere.

Bounds, so that no line and no sum of lines leaves what the ledger stores (`core/money.py`): a
quantity is above zero, below MAX_QUANTITY, with at most 3 decimals (`0,512` kg); a unit price is
zero or more, below MAX_UNIT_PRICE, with at most 4 decimals; a line's amount and the document's
total are below MAX_AMOUNT (a charge's bound). The forms refuse more next to the field, these
functions refuse more for every caller, and CHECK constraints on the order tables refuse more.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ardoise.core.money import MAX_AMOUNT, round_minor

MAX_QUANTITY = Decimal(1_000_000)
QUANTITY_PLACES = 3
MAX_UNIT_PRICE = Decimal(10_000_000)
PRICE_PLACES = 4
MAX_VAT_RATE = Decimal(100)


class LineError(ValueError):
    pass


class LineTooLarge(LineError):
    """A line's amount, or the document's total, at or above MAX_AMOUNT."""


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: Decimal
    unit_price: Decimal
    vat_rate: Decimal
    unit: str = "piece"
    product_id: int | None = None


@dataclass(frozen=True)
class VatTotal:
    rate: Decimal
    net_amount: int
    vat_amount: int
    total: int


@dataclass(frozen=True)
class Totals:
    line_amounts: list[int]
    vat_lines: list[VatTotal]
    net_amount: int
    vat_amount: int
    total: int


def _decimal(value: object, name: str) -> Decimal:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise LineError(f"{name} must be a finite Decimal")
    return value


def _places(value: Decimal) -> int:
    exponent = value.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def check_line(line: LineInput) -> None:
    """LineError unless the line is within the bounds above and has a description."""
    quantity = _decimal(line.quantity, "quantity")
    price = _decimal(line.unit_price, "unit_price")
    rate = _decimal(line.vat_rate, "vat_rate")
    if not Decimal(0) < quantity < MAX_QUANTITY or _places(quantity) > QUANTITY_PLACES:
        raise LineError("quantity must be above zero and below the bound, 3 decimals at most")
    if not Decimal(0) <= price < MAX_UNIT_PRICE or _places(price) > PRICE_PLACES:
        raise LineError("price must be zero or more and below the bound, 4 decimals at most")
    if not Decimal(0) <= rate < MAX_VAT_RATE or _places(rate) > 2:
        raise LineError("VAT rate must be from 0 to below 100, 2 decimals at most")
    if not line.description.strip():
        raise LineError("a line needs a description")


def line_amount(quantity: Decimal, unit_price: Decimal, currency: str = "EUR") -> int:
    return round_minor(
        _decimal(quantity, "quantity") * _decimal(unit_price, "unit_price"), currency
    )


def vat_included(total: int, rate: Decimal) -> int:
    """The VAT inside an amount that includes it, in minor units, rounded half up once."""
    rate = _decimal(rate, "vat_rate")
    if rate == 0:
        return 0
    vat = Decimal(total) * rate / (Decimal(100) + rate)
    return int(vat.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def compute_totals(lines: list[LineInput], currency: str = "EUR") -> Totals:
    amounts: list[int] = []
    per_rate: dict[Decimal, int] = defaultdict(int)
    for line in lines:
        check_line(line)
        amount = line_amount(line.quantity, line.unit_price, currency)
        if amount >= MAX_AMOUNT:
            raise LineTooLarge("a line's amount is too large")
        amounts.append(amount)
        per_rate[line.vat_rate] += amount
    if sum(amounts) >= MAX_AMOUNT:
        raise LineTooLarge("the total is too large")
    vat_lines = []
    for rate in sorted(per_rate):
        total = per_rate[rate]
        vat = vat_included(total, rate)
        vat_lines.append(VatTotal(rate=rate, net_amount=total - vat, vat_amount=vat, total=total))
    return Totals(
        line_amounts=amounts,
        vat_lines=vat_lines,
        net_amount=sum(line.net_amount for line in vat_lines),
        vat_amount=sum(line.vat_amount for line in vat_lines),
        total=sum(line.total for line in vat_lines),
    )
