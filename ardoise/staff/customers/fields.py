"""Date fields of the movement forms (the money field is `ardoise.core.forms.MoneyField`)."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
