"""Settings → Online payment: the shop's SumUp and Stripe credentials, a connection test, and the
reconciliation page listing what the providers and the ledger do not agree on.

Secrets are typed once: the fields never show what was saved (a blank field keeps it), the
POST parameters are marked sensitive for Django's error reports, and nothing here logs them.
The rules live in `payments.accounts`; the listing in `payments.reconciliation`.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_stubs_ext import StrOrPromise

from ardoise.payments import accounts
from ardoise.payments.models import OnlinePaymentSettings, ProviderAccount, ProviderCode
from ardoise.payments.providers.registry import available_provider, webhook_url
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.payments.reconciliation import MismatchKind, mismatches
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required

SECRET = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})


class ProviderForm(forms.Form):
    api_key = forms.CharField(max_length=300, required=False, widget=SECRET)
    merchant_code = forms.CharField(
        label=gettext_lazy("Merchant code"), max_length=40, required=False
    )
    webhook_secret = forms.CharField(max_length=300, required=False, widget=SECRET)
    forget_webhook_secret = forms.BooleanField(
        label=gettext_lazy("Remove the saved signing secret"), required=False
    )

    def __init__(self, data: Any = None, *, provider: str, account: ProviderAccount | None) -> None:
        super().__init__(data, prefix=provider)
        self.provider, self.account = provider, account
        saved = account is not None
        keep = gettext_lazy("Saved. Leave blank to keep it, or type a new one to replace it.")
        if provider == ProviderCode.SUMUP:
            self.fields["api_key"].label = gettext_lazy("API key")
            self.fields["webhook_secret"].label = gettext_lazy("Webhook signing secret (optional)")
            self.fields["merchant_code"].initial = account.merchant_code if account else ""
        else:
            del self.fields["merchant_code"]
            self.fields["api_key"].label = gettext_lazy("Secret key (sk_…)")
            self.fields["webhook_secret"].label = gettext_lazy("Webhook signing secret (whsec_…)")
        if saved:
            self.fields["api_key"].help_text = keep
        if account is not None and account.has_webhook_secret:
            self.fields["webhook_secret"].help_text = keep
        else:
            del self.fields["forget_webhook_secret"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.account is None and not data.get("api_key"):
            self.add_error("api_key", _("Enter the key your provider gave you."))
        if (
            self.provider == ProviderCode.SUMUP
            and not data.get("merchant_code")
            and not (self.account and self.account.merchant_code)
        ):
            self.add_error("merchant_code", _("Enter your SumUp merchant code."))
        return data


def _card(
    provider: str, account: ProviderAccount | None, in_use: str, form: ProviderForm | None = None
) -> dict[str, Any]:
    return {
        "code": provider,
        "label": ProviderCode(provider).label,
        "account": account,
        "in_use": in_use == provider,
        "webhook_url": webhook_url(account) if account else "",
        "form": form or ProviderForm(provider=provider, account=account),
    }


def _page(
    request: MemberRequest, *, bound: ProviderForm | None = None, status: int = 200
) -> HttpResponse:
    shop_id = request.membership.shop_id
    saved = {a.provider: a for a in ProviderAccount.objects.filter(shop_id=shop_id)}
    in_use = (
        OnlinePaymentSettings.objects.filter(shop_id=shop_id)
        .values_list("provider", flat=True)
        .first()
    ) or ""
    cards = [
        _card(code, saved.get(code), in_use, bound if bound and bound.provider == code else None)
        for code in ProviderCode.values
    ]
    context = {
        "cards": cards,
        "test_provider": available_provider(TestProvider.code),
        "test_in_use": in_use == TestProvider.code,
        "nav": "settings",
    }
    return render(request, "staff/settings/online_payment.html", context, status=status)


def _provider(code: str) -> str:
    if code not in ProviderCode.values:
        raise Http404("no such provider")
    return code


@member_required(Permission.SETTINGS_MANAGE)
@require_GET
def online_payment_settings(request: MemberRequest) -> HttpResponse:
    return _page(request)


@sensitive_post_parameters(
    "sumup-api_key", "sumup-webhook_secret", "stripe-api_key", "stripe-webhook_secret"
)
@member_required(Permission.SETTINGS_MANAGE)
@require_POST
def provider_account_save(request: MemberRequest, provider: str) -> HttpResponse:
    code = _provider(provider)
    shop_id = request.membership.shop_id
    account = ProviderAccount.objects.filter(shop_id=shop_id, provider=code).first()
    form = ProviderForm(request.POST, provider=code, account=account)
    if not form.is_valid():
        return _page(request, bound=form, status=400)
    accounts.save_provider_account(
        shop_id=shop_id,
        provider=code,
        api_key=form.cleaned_data["api_key"],
        merchant_code=form.cleaned_data.get("merchant_code", ""),
        webhook_secret=form.cleaned_data["webhook_secret"],
        forget_webhook_secret=form.cleaned_data.get("forget_webhook_secret", False),
        actor=request.user,
    )
    messages.success(request, _("%(provider)s credentials saved.") % {"provider": form_label(code)})
    return redirect("staff:online_payment_settings")


@member_required(Permission.SETTINGS_MANAGE)
@require_POST
def provider_account_check(request: MemberRequest, provider: str) -> HttpResponse:
    code = _provider(provider)
    account = ProviderAccount.objects.filter(
        shop_id=request.membership.shop_id, provider=code
    ).first()
    if account is None:
        raise Http404("not set up")
    try:
        accounts.check_provider_account(account=account)
    except accounts.ProviderError as error:
        messages.error(
            request,
            _("%(provider)s refused the connection: %(reason)s")
            % {"provider": form_label(code), "reason": error},
        )
    else:
        messages.success(
            request,
            _("%(provider)s answered: the connection works.") % {"provider": form_label(code)},
        )
    return redirect("staff:online_payment_settings")


@member_required(Permission.SETTINGS_MANAGE)
@require_POST
def provider_account_remove(request: MemberRequest, provider: str) -> HttpResponse:
    code = _provider(provider)
    accounts.remove_provider_account(
        shop_id=request.membership.shop_id, provider=code, actor=request.user
    )
    messages.success(
        request, _("%(provider)s credentials removed.") % {"provider": form_label(code)}
    )
    return redirect("staff:online_payment_settings")


def form_label(code: str) -> str:
    return str(ProviderCode(code).label)


KIND_LABELS: dict[str, StrOrPromise] = {
    MismatchKind.PAID_NOT_RECORDED: gettext_lazy("Paid at the provider, not recorded here"),
    MismatchKind.RECORDED_NOT_PAID: gettext_lazy("Recorded here, not paid at the provider"),
    MismatchKind.NOT_OPENED: gettext_lazy("The provider could not open the payment"),
    MismatchKind.STILL_PENDING: gettext_lazy("Still waiting for the provider"),
    MismatchKind.NOT_HANDLED: gettext_lazy("Notification not handled yet"),
    MismatchKind.REFUND_NOT_RECORDED: gettext_lazy("Refunded at the provider, not recorded here"),
    MismatchKind.REFUND_UNANSWERED: gettext_lazy("Refund waiting for the provider"),
    MismatchKind.PAID_LATE: gettext_lazy(
        "Paid after it had expired or been cancelled: recorded (for information)"
    ),
    MismatchKind.PAID_LATE_ON_BALANCE: gettext_lazy(
        "Paid after it had expired or been cancelled: recorded, kept on the balance"
    ),
}


@member_required(Permission.SETTINGS_MANAGE)
@require_http_methods(["GET"])
def payment_checks(request: MemberRequest) -> HttpResponse:
    """What the providers and the ledger do not agree on, for the owner to look into."""
    rows = [
        (mismatch, KIND_LABELS[mismatch.kind])
        for mismatch in mismatches(request.membership.shop_id)
    ]
    return render(request, "staff/settings/payment_checks.html", {"rows": rows, "nav": "settings"})
