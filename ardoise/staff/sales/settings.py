"""Settings → Invoices (payment tracking, modes, terms, the seller's identity) and → Exports."""

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from ardoise.core.forms import DateRangeForm
from ardoise.ledger.errors import LedgerError
from ardoise.payments import services as payments
from ardoise.payments.models import PaymentMode
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.sales.forms import InvoiceSettingsForm

IDENTITY = ("legal_name", "siret", "vat_number", "address")


@member_required(Permission.SETTINGS_MANAGE)
def invoice_settings(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    modes = list(PaymentMode.objects.for_shop(shop.pk))
    initial = {
        "payment_tracking_enabled": shop.payment_tracking_enabled,
        "accepted": [mode.code for mode in modes if mode.is_accepted],
        "default_payment_mode": shop.default_payment_mode,
        "payment_terms_days": shop.payment_terms_days,
    } | {field: getattr(shop, field) for field in IDENTITY}
    form = InvoiceSettingsForm(request.POST or None, initial=initial, modes=modes)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        accepted = list(data["accepted"])
        try:
            if data["new_mode"]:
                mode = payments.add_payment_mode(
                    shop_id=shop.pk,
                    label=data["new_mode"],
                    actor=request.user,
                )
                accepted.append(mode.code)
            payments.update_invoice_settings(
                shop=shop,
                actor=request.user,
                payment_tracking_enabled=data["payment_tracking_enabled"],
                payment_terms_days=data["payment_terms_days"],
                default_payment_mode=data["default_payment_mode"],
                accepted=accepted,
                identity={field: data[field] for field in IDENTITY},
            )
        except LedgerError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invoice settings saved."))
            return redirect("staff:invoice_settings")
    context = {"form": form, "nav": "settings"}
    return render(
        request, "staff/sales/invoice_settings.html", context, status=400 if form.errors else 200
    )


@member_required(Permission.EXPORTS_RUN)
def exports(request: MemberRequest) -> HttpResponse:
    """The page; the workbook itself is streamed by `exports:sales_by_mode`."""
    today = timezone.localdate()
    form = DateRangeForm(initial={"start": today.replace(day=1), "end": today})
    return render(request, "staff/sales/exports.html", {"form": form, "nav": "settings"})
