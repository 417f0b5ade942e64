"""Quantities with their unit, and amounts in inputs, in the reader's language."""

from decimal import Decimal

import pytest
from django.utils import translation

from ardoise.invoicing.models import OrderLine, Unit
from ardoise.staff.sales.forms import amount_for_input, parse_amount
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


@pytest.mark.parametrize(
    ("minor", "french", "english"),
    [(1_234_50, "1234,50", "1234.50"), (5, "0,05", "0.05"), (0, "", ""), (None, "", "")],
)
def test_amounts_in_inputs_read_back_as_typed(minor: int | None, french: str, english: str) -> None:
    with translation.override("fr"):
        assert amount_for_input(minor) == french
    with translation.override("en"):
        assert amount_for_input(minor) == english
    if minor:
        assert parse_amount(french) == parse_amount(english) == minor
