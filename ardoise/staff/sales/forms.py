"""Forms of the sales area. Amounts are typed as decimals and leave here as minor units."""

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.formats import get_format
from django.utils.translation import gettext_lazy as _

from ardoise.core.money import MoneyError, to_decimal, to_minor
from ardoise.invoicing.models import VAT_RATES, Product, Unit
from ardoise.invoicing.totals import LineInput
from ardoise.payments.models import PaymentMode

LINE_ROWS = 10


def new_key() -> str:
    return uuid.uuid4().hex


def parse_amount(value: str, currency: str = "EUR") -> int:
    """A typed amount ("12,50", "12.5") to minor units; MoneyError if it is not one."""
    text = (value or "").strip().replace("\u202f", "").replace("\xa0", "").replace(" ", "")
    text = text.replace("€", "")
    if not text:
        raise MoneyError("empty")
    return to_minor(text, currency)


def amount_for_input(minor: int | None) -> str:
    """Minor units as a cashier would type them, in the reader's locale (`12,50` in French,
    `12.50` in English), without grouping; empty for nothing or zero. `parse_amount` reads both.
    """
    if not minor:
        return ""
    return str(to_decimal(int(minor))).replace(".", str(get_format("DECIMAL_SEPARATOR")))


class MoneyField(forms.CharField):
    """A decimal amount in major units, cleaned to an int of minor units."""

    def __init__(self, *, currency: str = "EUR", minimum: int | None = 0, **kwargs: Any) -> None:
        self.currency, self.minimum = currency, minimum
        kwargs.setdefault("widget", forms.TextInput(attrs={"inputmode": "decimal", "size": 10}))
        super().__init__(**kwargs)

    def clean(self, value: Any) -> int | None:
        value = super().clean(value)
        if value in (None, ""):
            return None
        try:
            amount = parse_amount(value, self.currency)
        except MoneyError as error:
            raise forms.ValidationError(_("Enter an amount such as 12.50.")) from error
        if self.minimum is not None and amount < self.minimum:
            raise forms.ValidationError(_("The amount must be greater than zero."))
        return amount


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


class SaleForm(forms.Form):
    """A sale or an order: the customer, then lines typed quickly.

    A line is the name of a catalogue product (its unit, price and VAT come from the catalogue
    unless typed) or free text with a price and a VAT rate. Empty lines are ignored.
    """

    customer = forms.ChoiceField(label=_("Customer"))
    note = forms.CharField(label=_("Note"), required=False, max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self, *args: Any, customers: list[tuple[int, str]], products: list[Product], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["customer"].choices = [("", "—"), *customers]  # type: ignore[attr-defined]
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


class SettlementForm(forms.Form):
    mode = forms.ChoiceField(label=_("Settled by"), widget=forms.RadioSelect)
    amount = MoneyField(label=_("Amount paid"), minimum=1)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, modes: list[PaymentMode], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["mode"].choices = mode_choices(modes)  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)


class RefundForm(forms.Form):
    lines = forms.MultipleChoiceField(
        label=_("Lines"), required=False, widget=forms.CheckboxSelectMultiple
    )
    amount = MoneyField(label=_("Amount to refund"), required=False, minimum=1)
    mode = forms.ChoiceField(label=_("Refund to"))
    to_account = MoneyField(label=_("Of which back to the account"), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=200)
    idempotency_key = forms.CharField(widget=forms.HiddenInput)

    def __init__(
        self,
        *args: Any,
        line_amounts: dict[str, int],
        modes: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.line_amounts = line_amounts
        self.fields["lines"].choices = [(key, key) for key in line_amounts]  # type: ignore[attr-defined]
        self.fields["mode"].choices = modes  # type: ignore[attr-defined]

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
        self.fields["accepted"].choices = mode_choices(modes)  # type: ignore[attr-defined]
        self.fields["default_payment_mode"].choices = mode_choices(modes)  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        default = cleaned.get("default_payment_mode")
        if default and default not in (cleaned.get("accepted") or []):
            self.add_error("default_payment_mode", _("The default mode must be accepted."))
        return cleaned


class DateRangeForm(forms.Form):
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
        start, end = cleaned.get("start"), cleaned.get("end")
        if isinstance(start, dt.date) and isinstance(end, dt.date) and end < start:
            raise forms.ValidationError(_("The end date is before the start date."))
        return cleaned
