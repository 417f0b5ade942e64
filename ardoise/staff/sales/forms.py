"""Forms of the sales area. Amounts are typed as decimals and leave here as minor units."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

from ardoise.core.forms import IdempotentForm, MoneyField, NumberField, form_field
from ardoise.core.money import MAX_AMOUNT
from ardoise.customers.models import Customer
from ardoise.invoicing.errors import OrderTooLarge
from ardoise.invoicing.models import VAT_RATES, Product, Unit
from ardoise.invoicing.selectors import SaleQuery
from ardoise.invoicing.totals import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    MAX_VAT_RATE,
    PRICE_PLACES,
    QUANTITY_PLACES,
    LineInput,
    line_amount,
)
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


# One cell of a sale's line, read by the one number parser (core/forms.py): `1,5`, `0,512`,
# `1 234,5` or `1.5`; anything else is refused next to the cell, never guessed or replaced.
QUANTITY = NumberField(
    places=QUANTITY_PLACES, maximum=MAX_QUANTITY, above_zero=True, required=False
)
UNIT_PRICE = NumberField(places=PRICE_PLACES, maximum=MAX_UNIT_PRICE, required=False)
VAT_RATE = NumberField(places=2, maximum=MAX_VAT_RATE, required=False)
CELLS = {"quantity": QUANTITY, "price": UNIT_PRICE, "vat": VAT_RATE}


def _cell(name: str, text: str) -> Decimal | None:
    """A cell's number (None when empty); ValidationError with the cell's message if not one."""
    value = CELLS[name].clean(text)
    return value if isinstance(value, Decimal) else None


class ProductForm(forms.ModelForm):
    unit_price = NumberField(
        label=_("Unit price including VAT"), places=PRICE_PLACES, maximum=MAX_UNIT_PRICE
    )
    vat_rate = NumberField(
        label=_("VAT rate (%)"),
        places=2,
        maximum=MAX_VAT_RATE,
        widget=forms.Select(choices=[(str(rate), f"{rate} %") for rate in VAT_RATES]),
    )

    class Meta:
        model = Product
        fields = ["name", "unit", "unit_price", "vat_rate", "is_archived"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:  # the select's option of the stored rate (5.50 reads as 5.5)
            self.initial["vat_rate"] = format(self.instance.vat_rate.normalize(), "f")


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
        self.line_errors: dict[int, dict[str, str]] = {}

    def rows(self) -> list[dict[str, str]]:
        """The typed cells of each row, and what is wrong with each cell (`quantity_error`)."""
        data = self.data if self.is_bound else {}
        rows = [
            {
                name: str(data.get(f"line-{index}-{name}", ""))
                for name in ("item", "quantity", "price", "vat")
            }
            | {"index": str(index)}
            | {f"{cell}_error": text for cell, text in self.line_errors.get(index, {}).items()}
            | {"error": "1" if index in self.line_errors else ""}
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
            line, errors = self._line(row)
            if errors:
                self.line_errors[index] = errors
            elif line is not None:
                self.lines.append(line)
        if self.line_errors:
            raise forms.ValidationError(_("Some lines are not complete."))
        if not self.lines:
            raise forms.ValidationError(_("Add at least one line."))
        if sum(line_amount(line.quantity, line.unit_price) for line in self.lines) >= MAX_AMOUNT:
            raise forms.ValidationError(OrderTooLarge.default_message)
        return cleaned

    def _line(self, row: dict[str, str]) -> tuple[LineInput | None, dict[str, str]]:
        """The row's line, or what is wrong with each of its cells (next to the cell)."""
        errors: dict[str, str] = {}
        numbers: dict[str, Decimal | None] = {}
        for name in CELLS:
            try:
                numbers[name] = _cell(name, row[name])
            except forms.ValidationError as error:
                errors[name] = str(error.messages[0])
        item = row["item"].strip()
        product = self.products.get(item.casefold())
        # An empty quantity is one (the cell shows 1 as its placeholder); a typed one is read.
        quantity = None if "quantity" in errors else (numbers.get("quantity") or Decimal(1))
        price, vat = numbers.get("price"), numbers.get("vat")
        if product is not None:
            price = product.unit_price if price is None and "price" not in errors else price
            vat = product.vat_rate if vat is None and "vat" not in errors else vat
        if not item:
            errors["item"] = str(_("Type a product or a description."))
        elif product is None:
            if price is None and "price" not in errors:
                errors["price"] = str(_("Type a price: this is not a catalogue product."))
            if vat is None and "vat" not in errors:
                errors["vat"] = str(_("Type a VAT rate: this is not a catalogue product."))
        if errors or quantity is None or price is None or vat is None:
            return None, errors
        if line_amount(quantity, price) >= MAX_AMOUNT:
            return None, {"quantity": str(_("This line's amount is too large."))}
        return LineInput(
            description=product.name if product else item,
            quantity=quantity,
            unit_price=price,
            vat_rate=vat,
            unit=product.unit if product else Unit.PIECE,
            product_id=product.pk if product else None,
        ), {}


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


class CancelOrderForm(forms.Form):
    """Nothing was posted for an order not delivered: cancelling needs no key, and the reason
    is optional (longer ones are cut by the service)."""

    reason = forms.CharField(label=_("Reason"), required=False)


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
