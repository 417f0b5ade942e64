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


class NewCustomerForm(IdempotentForm, CustomerForm):
    credit_limit = MoneyField(
        label=_("Credit limit"),
        required=False,
        help_text=_(
            "Empty: no limit. 0: no credit (the customer can only spend a prepaid balance)."
        ),
    )

    def __init__(self, *args: Any, default_limit: int | None = None, **kwargs: Any) -> None:
        kwargs["initial"] = dict(kwargs.get("initial") or {})
        kwargs["initial"].setdefault("credit_limit", default_limit)
        super().__init__(*args, **kwargs)


class CreditLimitForm(IdempotentForm):
    credit_limit = MoneyField(
        label=_("Credit limit"),
        required=False,
        help_text=_("Empty: no limit. 0: no credit. Press Enter to save."),
    )


class DeactivateForm(IdempotentForm):
    pass


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
