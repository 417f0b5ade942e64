"""Settings → Customer portal: on or off (with the shop's own portal address), ordering open or
closed, online payment of portal orders required or not, the smallest top-up, the new-order
email. The rules live in `shops.services.update_portal_settings`."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from ardoise.core.forms import MoneyField
from ardoise.core.money import format_money
from ardoise.customers.emails import portal_url
from ardoise.shops import services as shops
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Shop
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required


class PortalSettingsForm(forms.Form):
    portal_enabled = forms.BooleanField(
        label=gettext_lazy("Open the customer portal"), required=False
    )
    ordering_open = forms.BooleanField(
        label=gettext_lazy("Customers can order from the portal"), required=False
    )
    order_payment_required = forms.BooleanField(
        label=gettext_lazy("Online payment of portal orders required"), required=False
    )
    top_up_minimum = MoneyField(label=gettext_lazy("Smallest online top-up"), minimum=1)
    notify_new_orders = forms.BooleanField(
        label=gettext_lazy("Email the shop about each new portal order"), required=False
    )

    def __init__(self, *args: Any, shop: Shop, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.shop = shop

    def clean_top_up_minimum(self) -> int:
        amount = self.cleaned_data.get("top_up_minimum")
        if amount is None:
            raise forms.ValidationError(_("Enter an amount, for example 10,00."))
        if amount > self.shop.online_payment_max:
            raise forms.ValidationError(
                _("At most the largest amount payable online (%(maximum)s).")
                % {"maximum": format_money(self.shop.online_payment_max, self.shop.currency)}
            )
        return int(amount)


@member_required(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def portal_settings(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    initial = {name: getattr(shop, name) for name in shops.PORTAL_FIELDS}
    form = PortalSettingsForm(request.POST or None, initial=initial, shop=shop)
    if request.method == "POST" and form.is_valid():
        shops.update_portal_settings(shop=shop, actor=request.user, **form.cleaned_data)
        messages.success(request, _("Customer portal settings saved."))
        return redirect("staff:portal_settings")
    context = {"form": form, "portal_url": portal_url(shop), "nav": "settings", "shop": shop}
    status = 400 if form.errors else 200
    return render(request, "staff/settings/portal.html", context, status=status)
