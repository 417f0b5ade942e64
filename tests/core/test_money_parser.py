"""The one money parser against what people and attackers type: what a person writes reads,
everything else is refused with a message, and no input costs real CPU."""

from unittest import mock

import pytest
from django import forms
from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from ardoise.core.forms import MAX_AMOUNT_LENGTH, MAX_MINOR, MoneyField, parse_amount
from ardoise.core.money import MoneyError


@pytest.mark.parametrize(
    ("typed", "minor"),
    [
        ("12,50", 1250),
        ("12.50", 1250),
        ("12.5", 1250),
        ("1 234,50", 123450),
        ("1\u202f234,50\xa0€", 123450),
        ("0,01", 1),
        ("-3,00", -300),
        ("99999999999,99", MAX_MINOR - 1),
    ],
)
def test_what_a_person_types_reads_exactly(typed: str, minor: int) -> None:
    assert parse_amount(typed) == minor


@pytest.mark.parametrize(
    "typed",
    [
        "1e9",
        "1E2",
        "1e400000",
        "1_000",
        "١٢",  # Arabic-Indic digits
        "１２",  # full-width digits
        "NaN",
        "Infinity",
        "-inf",
        "+5",
        "12,505",
        "1,234.50",
        "12.",
        ",5",
        "0x10",
        "--1",
        "100000000000,00",  # MAX_MINOR
        "1" * (MAX_AMOUNT_LENGTH + 1),
        "",
        " ",
    ],
)
def test_anything_else_is_refused(typed: str) -> None:
    with pytest.raises(MoneyError):
        parse_amount(typed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("1e9", "Enter an amount, for example 12,50."),
        ("1_000", "Enter an amount, for example 12,50."),
        ("١٢", "Enter an amount, for example 12,50."),
        ("12,505", "Enter at most two decimals."),
        ("100000000000", "This amount is too large."),
        ("99999999999999999999", "This amount is too large."),
    ],
)
def test_the_field_says_why_next_to_itself(typed: str, message: str) -> None:
    class Form(forms.Form):
        amount = MoneyField()

    with translation.override("en"):
        form = Form({"amount": typed})
        assert form.is_valid() is False
        assert form.errors == {"amount": [message]}


@pytest.mark.parametrize("typed", ["1e400000", "9E999999", "1_0e9", "Infinity"])
def test_no_short_input_reaches_arbitrary_precision_arithmetic(typed: str) -> None:
    # Decimal("1e400000") and int() of it would build a 400,000-digit integer: the input is
    # refused by a bounded pattern before any Decimal is made (no timing, which would flake).
    with (
        mock.patch("ardoise.core.forms.Decimal", side_effect=AssertionError) as made,
        pytest.raises(MoneyError),
    ):
        parse_amount(typed)
    assert made.call_count == 0


@given(st.text(max_size=MAX_AMOUNT_LENGTH))
def test_any_text_is_either_an_exact_bounded_amount_or_refused(text: str) -> None:
    try:
        minor = parse_amount(text)
    except MoneyError:
        return
    assert isinstance(minor, int)
    assert abs(minor) < MAX_MINOR
