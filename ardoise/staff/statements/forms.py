from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import IdempotentForm, MoneyField, form_field
from ardoise.payments.providers.registry import provider_choices
from ardoise.shops.models import Shop


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


class StartRunForm(IdempotentForm):
    minimum_debt = MoneyField(label=_("Customers who owe at least"), minimum=1, initial=1)
    include_recent = forms.BooleanField(
        label=_("Also send to customers who were sent a statement in the last 24 hours"),
        required=False,
    )


class StatementSettingsForm(forms.ModelForm):
    online_payment_max_amount = MoneyField(label=_("Largest amount payable online"), minimum=1)
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
        provider_field = form_field(self, "provider", forms.ChoiceField)
        provider_field.choices = provider_choices(self.instance.pk)
        provider_field.initial = provider
        self.fields["statement_link_days"].widget.attrs.update(min=1, max=365)
        self.fields["online_payment_max_amount"].initial = self.instance.online_payment_max

    def clean_statement_link_days(self) -> int:
        days = int(self.cleaned_data["statement_link_days"])
        if not 1 <= days <= 365:
            raise forms.ValidationError(_("Between 1 and 365 days."))
        return days

    def settings_fields(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["online_payment_max"] = self.cleaned_data["online_payment_max_amount"]
        return data
