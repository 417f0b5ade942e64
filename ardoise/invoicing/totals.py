"""A document's amounts, computed once: line amounts, then per VAT rate, then the totals.

Prices include VAT (what a farm stall or a grocer displays). Each line's amount is
quantity x unit price rounded once to minor units; a rate's total is the sum of its lines; its VAT
is that total x rate / (100 + rate), rounded once; its net is the total less the VAT. The
document's net, VAT and total are the sums over rates. No float anywhere.
"""

from collections import defaultdict
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from ardoise.core.money import round_minor


class LineError(ValueError):
    pass


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
        if _decimal(line.quantity, "quantity") <= 0 or _decimal(line.unit_price, "price") < 0:
            raise LineError("quantity must be above zero and price not negative")
        if not line.description.strip():
            raise LineError("a line needs a description")
        amount = line_amount(line.quantity, line.unit_price, currency)
        amounts.append(amount)
        per_rate[_decimal(line.vat_rate, "vat_rate")] += amount
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
