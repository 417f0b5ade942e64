"""Forms of the sales area. Amounts are typed as decimals and leave here as minor units."""

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.core.forms import IdempotentForm, MoneyField, form_field
from ardoise.customers.models import Customer
from ardoise.invoicing.models import VAT_RATES, Product, Unit
from ardoise.invoicing.selectors import SaleQuery
from ardoise.invoicing.totals import LineInput, line_amount
from ardoise.payments.models import PaymentMode
from ardoise.staff.customers.fields import PastDateField

LINE_ROWS = 10


# The sales area's wording of the money field's refusals (the Payments cells use the first).
AMOUNT_MESSAGES = {
    "invalid": _("Enter an amount such as 12.50."),
    "too_precise": _("Enter an amount such as 12.50."),
    "negative": _("The amount must be greater than zero."),
    "zero": _("The amount must be greater than zero."),
}


def _amount_field(label: StrOrPromise, *, minimum: int, required: bool = True) -> MoneyField:
    return MoneyField(
        label=label,
        minimum=minimum,
        required=required,
        widget=forms.TextInput(attrs={"size": 10}),
        error_messages=AMOUNT_MESSAGES,
    )


def _decimal(value: str) -> Decimal | None:
    text = (value or "").strip().replace(",", ".").replace(" ", "")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


class ProductForm(forms.ModelForm):
    class Meta:
        model = Product
        fields = ["name", "unit", "unit_price", "vat_rate", "is_archived"]
        widgets = {"vat_rate": forms.Select(choices=[(rate, f"{rate} %") for rate in VAT_RATES])}


class SaleForm(IdempotentForm):
    """A sale or an order: the customer, then lines typed quickly.

    A line is the name of a catalogue product (its unit, price and VAT come from the catalogue
    unless typed) or free text with a price and a VAT rate. Empty lines are ignored.
    """

    customer = forms.IntegerField(
        label=_("Customer"),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Find the customer first."),
            "invalid": _("Find the customer first."),
        },
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=200)

    def __init__(self, *args: Any, shop_id: int, products: list[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop_id = shop_id
        self.products = {product.name.casefold(): product for product in products}
        self.lines: list[LineInput] = []
        self.line_errors: dict[int, str] = {}

    def rows(self) -> list[dict[str, str]]:
        data = self.data if self.is_bound else {}
        rows = [
            {
                name: str(data.get(f"line-{index}-{name}", ""))
                for name in ("item", "quantity", "price", "vat")
            }
            | {"index": str(index), "error": str(self.line_errors.get(index, ""))}
            for index in range(LINE_ROWS)
        ]
        return rows

    def clean_customer(self) -> Customer:
        """A customer of this shop, not archived: the id comes from the page, never trusted."""
        customer = (
            Customer.objects.for_shop(self.shop_id)
            .filter(pk=self.cleaned_data["customer"], is_archived=False)
            .first()
        )
        if customer is None:
            raise forms.ValidationError(_("Find the customer first."))
        return customer

    @property
    def running_total(self) -> int:
        """The total of the lines read so far (incomplete lines left out), in minor units."""
        return sum(line_amount(line.quantity, line.unit_price) for line in self.lines)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        self.lines = []
        for row in self.rows():
            index = int(row["index"])
            if not row["item"].strip() and not row["quantity"].strip():
                continue
            line = self._line(row)
            if line is None:
                self.line_errors[index] = str(
                    _("Type a product or a description, a quantity above zero and a price.")
                )
            else:
                self.lines.append(line)
        if self.line_errors:
            raise forms.ValidationError(_("Some lines are not complete."))
        if not self.lines:
            raise forms.ValidationError(_("Add at least one line."))
        return cleaned

    def _line(self, row: dict[str, str]) -> LineInput | None:
        quantity = _decimal(row["quantity"]) or (Decimal(1) if row["item"].strip() else None)
        product = self.products.get(row["item"].strip().casefold())
        price, vat = _decimal(row["price"]), _decimal(row["vat"])
        if product is not None:
            price = product.unit_price if price is None else price
            vat = product.vat_rate if vat is None else vat
        if (
            not row["item"].strip()
            or quantity is None
            or quantity <= 0
            or price is None
            or price < 0
            or vat is None
            or not Decimal(0) <= vat < 100
        ):
            return None
        return LineInput(
            description=product.name if product else row["item"].strip(),
            quantity=quantity,
            unit_price=price,
            vat_rate=vat,
            unit=product.unit if product else Unit.PIECE,
            product_id=product.pk if product else None,
        )


def mode_choices(modes: list[PaymentMode]) -> list[tuple[str, str]]:
    return [(mode.code, mode.label) for mode in modes]


class SettlementForm(IdempotentForm):
    """The foot of an invoice. `expected_open` is what the page showed as still owed: the
    service refuses the settlement if the invoice changed since (an old form posted again)."""

    mode = forms.ChoiceField(label=_("Settled by"), widget=forms.RadioSelect)
    amount = _amount_field(_("Amount paid"), minimum=1)
    received_on = PastDateField(
        label=_("Date received"),
        required=False,
        help_text=_("Today by default; the day the cheque or transfer came in, if earlier."),
    )
    expected_open = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(
        self,
        *args: Any,
        modes: list[PaymentMode],
        earliest: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "mode", forms.ChoiceField).choices = mode_choices(modes)
        form_field(self, "received_on", PastDateField).set_earliest(earliest)


class ReasonForm(IdempotentForm):
    reason = forms.CharField(label=_("Reason"), max_length=200)


class RefundForm(IdempotentForm):
    lines = forms.MultipleChoiceField(
        label=_("Lines"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = _amount_field(_("Amount to refund"), minimum=1, required=False)
    mode = forms.ChoiceField(label=_("Refund to"))
    to_account = _amount_field(_("Of which back to the account"), minimum=0, required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)

    def __init__(
        self,
        *args: Any,
        line_amounts: dict[str, int],
        modes: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.line_amounts = line_amounts
        form_field(self, "lines", forms.ChoiceField).choices = [(key, key) for key in line_amounts]
        form_field(self, "mode", forms.ChoiceField).choices = modes

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("amount") is None:
            chosen = cleaned.get("lines") or []
            if not chosen:
                raise forms.ValidationError(_("Choose lines or type an amount."))
            cleaned["amount"] = sum(self.line_amounts[key] for key in chosen)
        return cleaned


class InvoiceSettingsForm(forms.Form):
    payment_tracking_enabled = forms.BooleanField(
        label=_("Enable payment tracking"), required=False
    )
    accepted = forms.MultipleChoiceField(
        label=_("Payment modes accepted"), widget=forms.CheckboxSelectMultiple
    )
    default_payment_mode = forms.ChoiceField(label=_("Default payment mode"))
    payment_terms_days = forms.IntegerField(
        label=_("Payment terms (days)"), min_value=0, max_value=365
    )
    new_mode = forms.CharField(
        label=_("Add your own mode"),
        required=False,
        max_length=60,
        help_text=_("For example: Meal vouchers"),
    )
    legal_name = forms.CharField(label=_("Legal name"), required=False, max_length=200)
    siret = forms.CharField(label=_("SIRET"), required=False, max_length=14)
    vat_number = forms.CharField(label=_("VAT number"), required=False, max_length=20)
    address = forms.CharField(
        label=_("Address"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, modes: list[PaymentMode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        form_field(self, "accepted", forms.ChoiceField).choices = mode_choices(modes)
        form_field(self, "default_payment_mode", forms.ChoiceField).choices = mode_choices(modes)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default = cleaned.get("default_payment_mode")
        if default and default not in (cleaned.get("accepted") or []):
            self.add_error("default_payment_mode", _("The default mode must be accepted."))
        return cleaned


def _iso_date(label: Any) -> forms.DateField:
    # A browser reads an <input type=date> value only as ISO (2026-12-02), in every language.
    widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    return forms.DateField(label=label, required=False, input_formats=["%Y-%m-%d"], widget=widget)


class SaleFilterForm(forms.Form):
    """The Sales list's search and filters (a GET form: bad values are dropped, never a 400)."""

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    status = forms.ChoiceField(label=_("Status"), required=False)
    start = _iso_date(_("From"))
    end = _iso_date(_("To"))

    def __init__(self, *args: Any, statuses: list[tuple[str, Any]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [("", _("All")), *statuses]  # type: ignore[attr-defined]
        self.fields["q"].widget.attrs.update(
            type="search", placeholder=_("Customer or invoice number"), autocomplete="off"
        )

    def query(self) -> SaleQuery:
        self.is_valid()  # a field that does not clean is left out of cleaned_data: ignored
        data = getattr(self, "cleaned_data", {})
        return SaleQuery(
            search=(data.get("q") or "").strip(),
            status=data.get("status") or "",
            start=data.get("start"),
            end=data.get("end"),
        )
