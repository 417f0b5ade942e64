"""Forms at the money edge: the one money field, the one amount formatter, the one keyed form.

What a person types becomes minor units exactly, or an error: `12,50` and `12.50` both read (and
spaces, no-break spaces and a euro sign are ignored), more decimals than the currency has are
refused rather than rounded. What an input shows is written in the reader's locale, without
grouping (`12,50` in French, `12.50` in English), by `amount_input_value`; the `input_amount`
template filter and `MoneyField` both use it, so an amount reads back exactly as it was shown.

Every form that moves money inherits `IdempotentForm`: a hidden key made when the form is rendered
(`new_key`), so a resubmission posts once.
"""

import datetime as dt
import re
import uuid
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.http import QueryDict
from django.utils import timezone
from django.utils.formats import get_format, number_format
from django.utils.translation import gettext_lazy as _

from ardoise.core.dates import clamp_day
from ardoise.core.errors import Refusal
from ardoise.core.money import DEFAULT_CURRENCY, MAX_AMOUNT, MoneyError, to_decimal, to_minor

# The largest amount one field takes: the ledger's bound (core/money.py).
MAX_MINOR = MAX_AMOUNT
# The longest amount a person types (`10 000 000 000,00 €` fits).
MAX_AMOUNT_LENGTH = 20
# An idempotency key from a form: `new_key` makes 32 characters; the services derive longer keys
# from it (`:send`, `:reverse:<id>`) within the 120 characters the key columns hold.
KEY_LENGTH = 64

_IGNORED = ("\u202f", "\xa0", " ", "€")


def new_key() -> str:
    """The idempotency key a money form carries, made when the form is rendered."""
    return uuid.uuid4().hex


# What a person types, once spaces and the euro sign are dropped: ASCII digits, at most one
# decimal separator (comma or dot) and a leading minus. No exponent (`1e9`), no underscore
# (`1_000`), no other digits (`١٢`), no `NaN`: Decimal() would take all of those. The check runs
# on at most MAX_AMOUNT_LENGTH characters, so no input costs more than a few microseconds.
_AMOUNT = re.compile(r"-?[0-9]+(?:[.,][0-9]+)?", re.ASCII)


def _typed_number(value: str) -> str:
    """What a person typed, as `Decimal()` may read it (`1234.50`); MoneyError if not a number.

    The one grammar of amounts, quantities and unit prices: spaces (and the euro sign) dropped,
    ASCII digits, at most one decimal separator (comma or dot, whatever the language), a leading
    minus, at most MAX_AMOUNT_LENGTH characters.
    """
    text = str(value or "").strip()
    if not text or len(text) > MAX_AMOUNT_LENGTH:
        raise MoneyError(f"not a number: {value!r}")
    for ignored in _IGNORED:
        text = text.replace(ignored, "")
    if not _AMOUNT.fullmatch(text):
        raise MoneyError(f"not a number: {value!r}")
    return text.replace(",", ".")


def parse_amount(value: str, currency: str = DEFAULT_CURRENCY) -> int:
    """A typed amount (`12,50`, `12.5`, `1 234,50 €`) to minor units; MoneyError if not one.

    The sign is kept: whether a negative amount is allowed is the caller's rule; the size is
    bounded by MAX_MINOR either way.
    """
    minor = to_minor(Decimal(_typed_number(value)), currency)
    if abs(minor) >= MAX_MINOR:
        raise AmountTooLarge(f"too large: {value!r}")
    return minor


def parse_decimal(value: str, *, places: int, maximum: Decimal) -> Decimal:
    """A typed quantity or unit price (`1,5`, `0,512`, `1 234,5`, `4.125`) as a Decimal.

    The grammar of `parse_amount`; at most `places` decimals (TooPrecise: never rounded) and
    below `maximum` in size (AmountTooLarge). The sign is kept: the caller says what may be
    negative or zero.
    """
    number = Decimal(_typed_number(value))
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        raise TooPrecise(f"more than {places} decimals: {value!r}")
    if abs(number) >= maximum:
        raise AmountTooLarge(f"too large: {value!r}")
    return number


class AmountTooLarge(MoneyError):
    """An amount above MAX_MINOR (or a number above the maximum its caller gave)."""


class TooPrecise(MoneyError):
    """A number with more decimals than its field keeps."""


def amount_input_value(
    minor: int | None, currency: str = DEFAULT_CURRENCY, *, blank_zero: bool = False
) -> str:
    """Minor units as an input's value, in the reader's locale and without grouping.

    `12,50` in French, `12.50` in English; empty for nothing (and for zero with `blank_zero`,
    where an empty cell means nothing was paid). `parse_amount` reads it back exactly.
    """
    if minor is None or (blank_zero and not minor):
        return ""
    text = format(to_decimal(int(minor), currency), "f")
    return text.replace(".", str(get_format("DECIMAL_SEPARATOR")))


class MoneyField(forms.Field):
    """An amount in major units, cleaned to an int of minor units (None when left empty).

    `minimum` (in minor units, 0 by default) refuses less: a negative amount with the `negative`
    message, zero with the `zero` message (`minimum=1`: an amount above zero). A form may give
    its own wording through Django's `error_messages`.
    """

    default_error_messages = {
        "invalid": _("Enter an amount, for example 12,50."),
        "too_precise": _("Enter at most two decimals."),
        "negative": _("Enter an amount of zero or more."),
        "zero": _("The amount must be greater than zero."),
        "too_large": _("This amount is too large."),
    }

    def __init__(
        self, *, currency: str = DEFAULT_CURRENCY, minimum: int | None = 0, **kwargs: Any
    ) -> None:
        self.currency, self.minimum = currency, minimum
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "maxlength": MAX_AMOUNT_LENGTH}
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return amount_input_value(value, self.currency)
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values or not str(value).strip():
            return None
        text = str(value).strip()
        if len(text) > MAX_AMOUNT_LENGTH:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            minor = parse_amount(text, self.currency)
        except AmountTooLarge as error:
            raise forms.ValidationError(
                self.error_messages["too_large"], code="too_large"
            ) from error
        except MoneyError as error:
            code = "too_precise" if _is_number(text) else "invalid"
            raise forms.ValidationError(self.error_messages[code], code=code) from error
        if self.minimum is not None and minor < self.minimum:
            code = "negative" if minor < 0 else "zero"
            raise forms.ValidationError(self.error_messages[code], code=code)
        return minor


def _is_number(text: str) -> bool:
    """An amount that `parse_amount` refused only for its decimals (`12,505`)."""
    for ignored in _IGNORED:
        text = text.replace(ignored, "")
    return bool(_AMOUNT.fullmatch(text))


class NumberField(forms.Field):
    """A quantity, a unit price or a rate, typed as a person types it, cleaned to a Decimal.

    The grammar of `MoneyField` (`parse_decimal`): `1,5`, `0,512`, `1 234,5` and `1.5` in either
    language; at most `places` decimals, below `maximum`; `minimum` (inclusive, 0 by default)
    and `above_zero` bound it from below. None when left empty.
    """

    default_error_messages = {
        "invalid": _("Enter a number, for example 1.5."),
        "too_precise": _("Enter at most %(places)s decimals."),
        "too_large": _("Enter a number below %(maximum)s."),
        "negative": _("Enter a number of zero or more."),
        "zero": _("Enter a number above zero."),
    }

    def __init__(
        self,
        *,
        places: int,
        maximum: Decimal,
        above_zero: bool = False,
        **kwargs: Any,
    ) -> None:
        self.places, self.maximum, self.above_zero = places, maximum, above_zero
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"inputmode": "decimal", "autocomplete": "off", "maxlength": MAX_AMOUNT_LENGTH}
        )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, Decimal) and value.is_finite():
            return number_input_value(value)
        return value

    def to_python(self, value: Any) -> Decimal | None:
        if value in self.empty_values or not str(value).strip():
            return None
        try:
            number = parse_decimal(str(value), places=self.places, maximum=self.maximum)
        except AmountTooLarge as error:
            raise self._error("too_large") from error
        except TooPrecise as error:
            raise self._error("too_precise") from error
        except MoneyError as error:
            raise self._error("invalid") from error
        if number < 0:
            raise self._error("negative")
        if self.above_zero and number == 0:
            raise self._error("zero")
        return number

    def _error(self, code: str) -> forms.ValidationError:
        maximum = number_format(self.maximum.normalize(), force_grouping=True)
        params = {"places": self.places, "maximum": maximum}
        return forms.ValidationError(self.error_messages[code], code=code, params=params)


def number_input_value(value: Decimal) -> str:
    """A Decimal as an input's value in the reader's locale, without grouping or exponent:
    `4,125` in French, `4.125` in English, `1000` (never `1E+3`)."""
    text = format(value.normalize(), "f")
    return text.replace(".", str(get_format("DECIMAL_SEPARATOR")))


class IdempotentForm(forms.Form):
    """A form that moves money: it carries the idempotency key made when it was rendered.

    Also a base for a ModelForm (`class NewCustomerForm(IdempotentForm, CustomerForm)`).
    """

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=KEY_LENGTH)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["initial"] = dict(kwargs.get("initial") or {})
        kwargs["initial"].setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)

    def refuse(self, error: Refusal, field: str | None = None) -> None:
        """Show a service's refusal on the form, next to `field` (None: above the form).

        A key already used for another request (`code` "idempotency_conflict": the page was kept
        open and edited after it was sent) is said above the form, which gets a fresh key: the
        form checked and sent again is a new request, not the old one refused once more.
        """
        if error.code == "idempotency_conflict":
            self.add_error(None, str(error))
            self.renew_key()
        else:
            self.add_error(field, str(error))

    def renew_key(self) -> None:
        if self.is_bound:
            # A copy of the posted QueryDict keeps every value of a multiple choice.
            data = self.data.copy() if isinstance(self.data, QueryDict) else dict(self.data)
            data[self.add_prefix("idempotency_key")] = new_key()
            self.data = data


FieldType = TypeVar("FieldType", bound=forms.Field)


def form_field(form: forms.BaseForm, name: str, kind: type[FieldType]) -> FieldType:
    """A form's field typed as what it is, to set its choices or queryset once the shop is known."""
    field = form.fields[name]
    if not isinstance(field, kind):
        raise TypeError(f"{name} is a {type(field).__name__}, not a {kind.__name__}")
    return field


class DateRangeForm(forms.Form):
    """A range of days from `<input type="date">`, clamped to the days Ardoise reads."""

    # `<input type="date">` takes and gives ISO dates whatever the page's language: a localised
    # value (02/12/2026) would show an empty field.
    start = forms.DateField(
        label=_("From"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        input_formats=["%Y-%m-%d"],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        today = timezone.localdate()
        for name in ("start", "end"):  # year 0001 or 9999: clamped to the days Ardoise reads
            if isinstance(cleaned.get(name), dt.date):
                cleaned[name] = clamp_day(cleaned[name], today)
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned
