"""Quantities with their unit, in the reader's language (amounts in inputs: tests/core)."""

from decimal import Decimal

import pytest
from django.utils import translation

from ardoise.invoicing.models import OrderLine, Unit
from ardoise.staff.templatetags.sales_tags import quantity

NBSP = "\xa0"


def line(amount: str, unit: str) -> OrderLine:
    return OrderLine(quantity=Decimal(amount), unit=unit)


@pytest.mark.parametrize(
    ("amount", "unit", "french", "english"),
    [
        ("2.000", Unit.PIECE, f"2{NBSP}pièces", "2 pieces"),
        ("1", Unit.PIECE, f"1{NBSP}pièce", "1 piece"),
        ("1.5", Unit.CRATE, f"1,5{NBSP}cagette", "1.5 crate"),
        ("10.000", Unit.BUNCH, f"10{NBSP}bottes", "10 bunches"),
        ("0.512", Unit.KILOGRAM, f"0,512{NBSP}kg", f"0.512{NBSP}kg"),
        ("3", Unit.LITRE, f"3{NBSP}litres", "3 litres"),
    ],
)
def test_quantity_with_its_unit(amount: str, unit: str, french: str, english: str) -> None:
    with translation.override("fr"):
        assert quantity(line(amount, unit)) == french
    with translation.override("en"):
        assert quantity(line(amount, unit)) == english
