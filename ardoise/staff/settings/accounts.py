"""Settings → Customer accounts: the default credit limit of new accounts, automatic allocation."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from ardoise.shops import services as shops
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.settings.forms import AccountSettingsForm


@member_required(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET", "POST"])
def account_settings(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    initial = {
        "default_credit_limit": shop.default_credit_limit,
        "default_no_limit": shop.default_credit_limit is None,
        "auto_allocate": shop.auto_allocate,
    }
    form = AccountSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        shops.update_account_settings(
            shop=shop,
            actor=request.user,
            default_credit_limit=form.cleaned_data["default_credit_limit"],
            auto_allocate=form.cleaned_data["auto_allocate"],
        )
        messages.success(request, _("Account settings saved."))
        return redirect("staff:account_settings")
    context = {"form": form, "nav": "settings"}
    status = 400 if form.errors else 200
    return render(request, "staff/settings/accounts.html", context, status=status)
