"""The portal's forms: asking for a sign-in link, the customer's settings, the basket and the
order's confirmation, a top-up."""

from collections.abc import Sequence
from typing import Any

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from ardoise.core.forms import IdempotentForm, MoneyField, NumberField, form_field
from ardoise.core.money import format_money
from ardoise.invoicing.models import Product
from ardoise.invoicing.totals import MAX_QUANTITY, QUANTITY_PLACES
from ardoise.payments.quotes import CartItem


class SignInForm(forms.Form):
    email = forms.EmailField(
        label=_("Your email address"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PortalSettingsForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the portal and of your documents"),
        choices=[("", _("My browser's language")), *settings.LANGUAGES],
        required=False,
    )
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        help_text=_("A new address changes once you open the link we send to it."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


# --- Ordering, topping up ---------------------------------------------------------------------


def quantity_field_name(product_id: int) -> str:
    return f"quantity-{product_id}"


class BasketForm(forms.Form):
    """One quantity per product of the catalogue (empty or 0: not ordered), and a note.

    Built for the shop's active products; a quantity reads like any other (`1,5`, `0,512`).
    """

    note = forms.CharField(
        label=_("Note for the shop (optional)"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args: Any, products: Sequence[Product], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.products = list(products)
        for product in self.products:
            self.fields[quantity_field_name(product.pk)] = NumberField(
                label=product.name,
                places=QUANTITY_PLACES,
                maximum=MAX_QUANTITY,
                required=False,
            )
        self.fields["note"] = self.fields.pop("note")  # after the products

    def product_fields(self) -> list[tuple[Product, forms.BoundField]]:
        return [(product, self[quantity_field_name(product.pk)]) for product in self.products]

    def items(self) -> list[CartItem]:
        """What was ordered, in catalogue order (after `is_valid`)."""
        return [
            CartItem(product_id=product.pk, quantity=quantity)
            for product in self.products
            if (quantity := self.cleaned_data.get(quantity_field_name(product.pk)))
        ]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and not self.items():
            raise forms.ValidationError(
                _("Choose a quantity for at least one product."), code="empty"
            )
        return cleaned


class ConfirmOrderForm(IdempotentForm):
    """The review's confirmation: the key of this order, and the amount to pay the customer
    was shown (a balance that changed meanwhile is refused, not charged)."""

    expected_to_pay = forms.IntegerField(widget=forms.HiddenInput, min_value=0)


class KeyForm(IdempotentForm):
    """A button that moves money (pay an order again): only its key."""


class TopUpForm(IdempotentForm):
    amount = MoneyField(label=_("Amount"), minimum=1)

    def __init__(self, *args: Any, minimum: int, maximum: int, currency: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.minimum, self.maximum = minimum, maximum
        field = form_field(self, "amount", MoneyField)
        field.currency = currency
        field.help_text = _("Between %(minimum)s and %(maximum)s.") % {
            "minimum": format_money(minimum, currency),
            "maximum": format_money(maximum, currency),
        }
