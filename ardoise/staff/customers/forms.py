"""Back-office forms for customers and their accounts. Money fields clean to minor units."""

import datetime as dt
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import IdempotentForm, MoneyField, form_field
from ardoise.customers.models import Customer
from ardoise.customers.services import EDITABLE_FIELDS
from ardoise.payments.models import BuiltInMode, PaymentMode
from ardoise.staff.customers.fields import PastDateField

# Modes that are not money received at the counter: "account" moves nothing, "online" is
# recorded by the provider's webhook.
NOT_AT_COUNTER = {BuiltInMode.ACCOUNT.value, BuiltInMode.ONLINE.value}


class CustomerForm(forms.ModelForm):
    class Meta:
        model = Customer
        fields = list(EDITABLE_FIELDS)
        widgets = {
            "address": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


def limit_fields(*, help_text: Any) -> tuple[MoneyField, forms.BooleanField]:
    """A credit limit as a form asks for it: an amount, or the explicit box "No limit".

    An empty amount alone is not "no limit" (a cleared field must never give unlimited credit
    by accident): `clean_limit` refuses it next to the field.
    """
    amount = MoneyField(label=_("Credit limit"), required=False, help_text=help_text)
    no_limit = forms.BooleanField(label=_("No limit"), required=False)
    return amount, no_limit


def clean_limit(form: forms.BaseForm, amount_name: str, no_limit_name: str) -> None:
    """Leaves `cleaned_data[amount_name]` as the limit chosen: minor units, or None ticked."""
    data = form.cleaned_data
    if amount_name in form.errors:
        return
    amount, no_limit = data.get(amount_name), data.get(no_limit_name)
    if no_limit and amount is not None:
        form.add_error(amount_name, _("Clear the amount, or untick “No limit”."))
    elif not no_limit and amount is None:
        form.add_error(
            amount_name, _("Enter a credit limit (0 for no credit), or tick “No limit”.")
        )
    else:
        data[amount_name] = None if no_limit else amount


def limit_initial(limit: int | None) -> dict[str, Any]:
    return {"credit_limit": limit, "no_limit": limit is None}


LIMIT_HELP = _("0: no credit (the customer can only spend a prepaid balance).")


class NewCustomerForm(IdempotentForm, CustomerForm):
    credit_limit, no_limit = limit_fields(help_text=LIMIT_HELP)

    def __init__(self, *args: Any, default_limit: int | None = None, **kwargs: Any) -> None:
        kwargs["initial"] = dict(kwargs.get("initial") or {})
        for name, value in limit_initial(default_limit).items():
            kwargs["initial"].setdefault(name, value)
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        super().clean()
        clean_limit(self, "credit_limit", "no_limit")
        return self.cleaned_data


class CreditLimitForm(IdempotentForm):
    credit_limit, no_limit = limit_fields(help_text=_("0: no credit. Press Enter to save."))

    def clean(self) -> dict[str, Any]:
        super().clean()
        clean_limit(self, "credit_limit", "no_limit")
        return self.cleaned_data


class DeactivateForm(IdempotentForm):
    pass


class ApplyDepositForm(IdempotentForm):
    """Apply the deposit to the open charges ticked (invoices and debit notes), in one action."""

    charges = forms.TypedMultipleChoiceField(
        label=_("Open charges to settle"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Tick at least one open charge.")},
    )

    def __init__(self, *args: Any, charges: list[Any], **kwargs: Any) -> None:
        kwargs["initial"] = dict(kwargs.get("initial") or {})
        kwargs["initial"].setdefault("charges", [charge.pk for charge in charges])
        super().__init__(*args, **kwargs)
        field = self.fields["charges"]
        assert isinstance(field, forms.TypedMultipleChoiceField)
        field.choices = [(charge.pk, str(charge)) for charge in charges]
        self.open_charges = {charge.pk: charge for charge in charges}

    def rows(self) -> list[tuple[Any, Any]]:
        """(checkbox, charge) per open charge, for a table of what can be settled."""
        return [(box, self.open_charges[int(box.data["value"])]) for box in self["charges"]]


def counter_modes(shop_id: int) -> list[tuple[str, str]]:
    modes = PaymentMode.objects.for_shop(shop_id).accepted().exclude(code__in=NOT_AT_COUNTER)
    return [(mode.code, str(mode.label)) for mode in modes]


class ReceiptForm(IdempotentForm):
    """A payment or a top-up: money received by one of the shop's modes."""

    mode = forms.ChoiceField(label=_("Payment mode"))
    amount = MoneyField(label=_("Amount"), minimum=1)
    day = PastDateField(
        label=_("Date received"),
        help_text=_("When the money was received (a cheque from last Friday): today by default."),
    )
    reference = forms.CharField(label=_("Reference"), max_length=60, required=False)

    def __init__(
        self,
        *args: Any,
        modes: list[tuple[str, str]],
        earliest: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "mode", forms.ChoiceField).choices = modes
        form_field(self, "day", PastDateField).set_earliest(earliest)


class AdjustmentForm(IdempotentForm):
    """A debit or credit adjustment: an amount and the reason, which is mandatory."""

    amount = MoneyField(label=_("Amount"), minimum=1)
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}), max_length=500
    )


class DebitAdjustmentForm(AdjustmentForm):
    override_limit = forms.BooleanField(
        label=_("Override the credit limit (recorded with your name)"), required=False
    )

    def __init__(self, *args: Any, may_override: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_override:
            del self.fields["override_limit"]


class ActivityRangeForm(forms.Form):
    start = forms.DateField(
        label=_("From"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    end = forms.DateField(
        label=_("To"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
