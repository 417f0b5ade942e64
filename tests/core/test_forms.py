"""The one money field and the one input formatter: what an input shows reads back as typed."""

import pytest
from django.utils import translation

from ardoise.core.forms import MoneyField, amount_input_value, parse_amount


@pytest.mark.parametrize(
    ("minor", "french", "english"),
    [(1_234_50, "1234,50", "1234.50"), (5, "0,05", "0.05"), (0, "", ""), (None, "", "")],
)
def test_amounts_in_inputs_read_back_as_typed(minor: int | None, french: str, english: str) -> None:
    with translation.override("fr"):
        assert amount_input_value(minor, blank_zero=True) == french
    with translation.override("en"):
        assert amount_input_value(minor, blank_zero=True) == english
    if minor:
        assert parse_amount(french) == parse_amount(english) == minor


@pytest.mark.parametrize(
    ("minor", "french", "english"),
    [(1_234_50, "1234,50", "1234.50"), (0, "0,00", "0.00"), (-3_00, "-3,00", "-3.00")],
)
def test_the_money_field_shows_the_readers_format_and_reads_it_back(
    minor: int, french: str, english: str
) -> None:
    field = MoneyField(minimum=None)
    with translation.override("fr"):
        assert field.prepare_value(minor) == french
        assert field.clean(french) == minor
    with translation.override("en"):
        assert field.prepare_value(minor) == english
        assert field.clean(english) == minor
