"""Fast, locale-aware formatting for documents with hundreds of lines.

`core.money.format_money` parses the locale and the currency pattern on every call (~60 µs);
a statement of 500 charges formats 1,000 amounts and 1,000 dates. This module asks Babel once
per document how the locale writes an amount (prefix, suffix, group and decimal separators,
for positive and negative values), then assembles each amount with integer arithmetic. The
output is the same as `format_money`, character for character (tests/statements/test_formatting
checks it with hypothesis), for locales that group digits by three (French, English).
"""

import datetime as dt
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from django.utils import dateformat, formats
from django.utils.translation import override, to_locale

from ardoise.core.money import minor_exponent

_SAMPLE = Decimal("1234567.89")


@lru_cache(maxsize=32)
def _shape(language: str, currency: str) -> tuple[str, str, str, str, str, str]:
    """(prefix, suffix, negative prefix, negative suffix, group, decimal) of the locale."""
    locale = Locale.parse(to_locale(language))
    pattern = locale.currency_formats["standard"]

    def apply(value: Decimal) -> str:
        return str(pattern.apply(value, locale, currency=currency, currency_digits=False))

    positive, negative = apply(_SAMPLE), apply(-_SAMPLE)
    start, end = positive.index("1"), positive.rindex("9") + 1
    number = positive[start:end]  # e.g. "1 234 567,89"
    group, decimal = number[1], number[-3]
    n_start, n_end = negative.index("1"), negative.rindex("9") + 1
    return (
        positive[:start],
        positive[end:],
        negative[:n_start],
        negative[n_end:],
        group,
        decimal,
    )


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return separator.join(parts)


class Formatter:
    """Amounts and dates in one language, for one currency."""

    def __init__(self, language: str, currency: str) -> None:
        self.language = language
        self.currency = currency
        self._exponent = minor_exponent(currency)
        (self._prefix, self._suffix, self._neg_prefix, self._neg_suffix, self._group_sep,
         self._decimal_sep) = _shape(language, currency)  # fmt: skip
        self._amounts: dict[int, str] = {}
        self._dates: dict[dt.date, str] = {}
        with override(language):
            self._date_format = str(formats.get_format("SHORT_DATE_FORMAT"))

    def money(self, minor: int) -> str:
        text = self._amounts.get(minor)
        if text is None:
            text = self._amounts[minor] = self._money(minor)
        return text

    def _money(self, minor: int) -> str:
        units, cents = divmod(abs(minor), 10**self._exponent) if self._exponent else (abs(minor), 0)
        number = _group(str(units), self._group_sep)
        if self._exponent:
            number += self._decimal_sep + str(cents).rjust(self._exponent, "0")
        if minor < 0:
            return self._neg_prefix + number + self._neg_suffix
        return self._prefix + number + self._suffix

    def date(self, day: dt.date | None) -> str:
        """The short date; month names, if the format has any, follow the active language."""
        if day is None:
            return ""
        text = self._dates.get(day)
        if text is None:
            text = self._dates[day] = dateformat.format(day, self._date_format)
        return text
