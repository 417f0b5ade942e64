import uuid
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.money import MoneyError, to_decimal, to_minor
from ardoise.payments.providers.registry import provider_choices
from ardoise.shops.models import Shop


def new_key() -> str:
    return uuid.uuid4().hex


class IdempotentForm(forms.Form):
    """Carries the hidden key made when the form was rendered: a resubmission posts once."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {}).setdefault("idempotency_key", new_key())
        super().__init__(*args, **kwargs)


class SendStatementForm(IdempotentForm):
    ACTIONS = ("send", "print", "pdf")

    email = forms.EmailField(label=_("Email address"), required=False)
    action = forms.ChoiceField(
        choices=[(a, a) for a in ACTIONS], widget=forms.HiddenInput, initial="send"
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "send" and not data.get("email"):
            self.add_error("email", _("Enter the address to send the statement to."))
        return data


class ResendForm(IdempotentForm):
    email = forms.EmailField(label=_("Email address"))


def _minor(value: Decimal | None, currency: str) -> int:
    try:
        return to_minor(value or Decimal(0), currency)
    except MoneyError as error:
        raise forms.ValidationError(_("Enter an amount with at most two decimals.")) from error


class StartRunForm(IdempotentForm):
    minimum_debt = forms.DecimalField(
        label=_("Customers who owe at least"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        initial=Decimal("0.01"),
        localize=True,  # "0,01" in French, as typed and as shown
    )

    def minimum_debt_minor(self, currency: str) -> int:
        return _minor(self.cleaned_data["minimum_debt"], currency)


class StatementSettingsForm(forms.ModelForm):
    online_payment_max_amount = forms.DecimalField(
        label=_("Largest amount payable online"),
        min_value=Decimal("0.01"),
        max_digits=14,
        decimal_places=2,
        localize=True,
    )
    provider = forms.ChoiceField(label=_("Online payment"), required=False, choices=())

    class Meta:
        model = Shop
        fields = (
            "statement_link_days",
            "show_credit_limit_on_statements",
            "legal_name",
            "address",
            "siret",
            "vat_number",
            "email",
            "phone",
            "logo",
        )
        widgets = {"address": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args: Any, provider: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        provider_field = cast(forms.ChoiceField, self.fields["provider"])
        provider_field.choices = provider_choices()
        provider_field.initial = provider
        self.fields["statement_link_days"].widget.attrs.update(min=1, max=365)
        self.fields["online_payment_max_amount"].initial = to_decimal(
            self.instance.online_payment_max, self.instance.currency
        )

    def clean_statement_link_days(self) -> int:
        days = int(self.cleaned_data["statement_link_days"])
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Between 1 and 365 days."))
        return days

    def settings_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["online_payment_max"] = _minor(
            self.cleaned_data["online_payment_max_amount"], self.instance.currency
        )
        return data
