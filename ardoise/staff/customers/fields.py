"""Form fields at the money edge: what a person types becomes minor units, exactly, or an error."""

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ardoise.core.money import (
    DEFAULT_CURRENCY,
    MoneyError,
    minor_exponent,
    to_decimal,
    to_minor,
)

# Large enough for any account in a shop, small enough to fit BigIntegerField with margin.
MAX_MINOR = 10**13


def new_key() -> str:
    """The idempotency key a money form carries, made when the form is rendered."""
    return uuid.uuid4().hex


class MoneyField(forms.Field):
    """An amount in major units (`12,50` or `12.50`, spaces allowed) cleaned to an int of cents.

    Refuses more decimals than the currency has rather than rounding what was typed.
    """

    default_error_messages = {
        "invalid": _("Enter an amount, for example 12,50."),
        "too_precise": _("Enter at most two decimals."),
        "negative": _("Enter an amount of zero or more."),
        "too_large": _("This amount is too large."),
    }

    def __init__(self, *, currency: str = DEFAULT_CURRENCY, **kwargs: Any) -> None:
        self.currency = currency
        kwargs.setdefault("widget", forms.TextInput)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "autocomplete": "off", "maxlength": 20})

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            decimal_pos = minor_exponent(self.currency)
            return formats.number_format(to_decimal(value, self.currency), decimal_pos=decimal_pos)
        return value

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if not text:
            return None
        if len(text) > 20:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        text = text.replace("\u202f", "").replace("\xa0", "").replace(" ", "").replace("€", "")
        if text.count(",") + text.count(".") > 1:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            decimal_value = Decimal(text.replace(",", "."))
        except ArithmeticError as error:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from error
        if not decimal_value.is_finite():
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            minor = to_minor(decimal_value, self.currency)
        except MoneyError as error:
            raise forms.ValidationError(
                self.error_messages["too_precise"], code="too_precise"
            ) from error
        if minor < 0:
            raise forms.ValidationError(self.error_messages["negative"], code="negative")
        if minor >= MAX_MINOR:
            raise forms.ValidationError(self.error_messages["too_large"], code="too_large")
        return minor


class PositiveMoneyField(MoneyField):
    default_error_messages = {"zero": _("The amount must be greater than zero.")}

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value == 0:
            raise forms.ValidationError(self.error_messages["zero"], code="zero")


class PastDateField(forms.DateField):
    """A day, today or before (the shop's time zone); a calendar in the browser."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {"future": _("The date cannot be in the future.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and value > timezone.localdate():
            raise forms.ValidationError(self.error_messages["future"], code="future")


def occurred_at_for(day: dt.date | None) -> dt.datetime | None:
    """Today means now; an earlier day means noon of that day in the shop's time zone."""
    if day is None or day >= timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
