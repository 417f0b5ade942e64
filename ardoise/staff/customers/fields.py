"""Date fields of the movement forms (the money field is `ardoise.core.forms.MoneyField`)."""

import datetime as dt
from typing import Any

from django import forms
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _


class PastDateField(forms.DateField):
    """A day, today or before (the shop's time zone), and not before `earliest` when given; a
    calendar in the browser, bounded the same way."""

    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    default_error_messages = {
        "future": _("The date cannot be in the future."),
        "too_old": _("The date cannot be before %(earliest)s."),
    }

    def __init__(self, *, earliest: dt.date | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(**kwargs)
        self.earliest = earliest

    def set_earliest(self, earliest: dt.date | None) -> None:
        """Bound this form's field (called when the form is made: today is then, not import)."""
        self.earliest = earliest
        self.widget.attrs["max"] = timezone.localdate().isoformat()
        if earliest is not None:
            self.widget.attrs["min"] = earliest.isoformat()

    def validate(self, value: Any) -> None:
        super().validate(value)
        if isinstance(value, dt.date) and value > timezone.localdate():
            raise forms.ValidationError(self.error_messages["future"], code="future")
        if isinstance(value, dt.date) and self.earliest is not None and value < self.earliest:
            raise forms.ValidationError(
                self.error_messages["too_old"],
                code="too_old",
                params={"earliest": formats.date_format(self.earliest, "SHORT_DATE_FORMAT")},
            )


def occurred_at_for(day: dt.date | None) -> dt.datetime | None:
    """Today means now; an earlier day means noon of that day in the shop's time zone."""
    if day is None or day >= timezone.localdate():
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))
