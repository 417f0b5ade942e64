import datetime as dt

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ardoise.core.money import format_money
from ardoise.statements.formatting import Formatter

FRENCH, ENGLISH = Formatter("fr", "EUR"), Formatter("en", "EUR")


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_amounts_are_formatted_exactly_as_format_money(minor: int) -> None:
    assert FRENCH.money(minor) == format_money(minor, "EUR", locale="fr_FR")
    assert ENGLISH.money(minor) == format_money(minor, "EUR", locale="en")


def test_currencies_without_minor_units() -> None:
    assert Formatter("fr", "JPY").money(-1234567) == format_money(-1234567, "JPY", locale="fr_FR")


def test_short_dates_follow_the_language_day_first_in_english_too() -> None:
    day = dt.date(2025, 3, 9)
    with translation.override("fr"):
        assert FRENCH.date(day) == "09/03/2025"
    with translation.override("en"):
        assert Formatter("en", "EUR").date(day) == "09/03/2025"  # not the US 03/09
