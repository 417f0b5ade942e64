"""Downloads: streamed XLSX files. The pages that offer them live in the back office."""

import datetime as dt

from django.http import HttpRequest, HttpResponseBadRequest, HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from ardoise.core.forms import DateRangeForm
from ardoise.core.ids import parse_ids
from ardoise.exports.access import export_permission_required
from ardoise.exports.payments import selected_receipts, write_payments
from ardoise.exports.sales import write_sales_by_mode
from ardoise.exports.xlsx import xlsx_response
from ardoise.payments.models import PaymentMode
from ardoise.payments.selectors import receipts
from ardoise.payments.week import parse_week
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission


def _labels(shop_id: int) -> tuple[dict[str, str], list[str]]:
    """Every mode's label (money may have come in by a mode since switched off), and the codes of
    the accepted ones, in the shop's order."""
    modes = list(PaymentMode.objects.for_shop(shop_id))
    return {mode.code: mode.label for mode in modes}, [m.code for m in modes if m.is_accepted]


@require_POST
@export_permission_required(Permission.PAYMENTS_RECORD, Permission.EXPORTS_RUN)
def payments(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    """What the rows checked on the Payments page received in the week it shows."""
    shop = membership.shop
    monday = parse_week(request.POST.get("week", ""), timezone.localdate())
    selected = selected_receipts(
        receipts(shop.pk, monday, monday + dt.timedelta(days=6)),
        invoice_ids=parse_ids(request.POST.getlist("invoice")),
        credit_ids=parse_ids(request.POST.getlist("credit")),
    )
    labels, _accepted = _labels(shop.pk)
    week = "".join(c for c in request.POST.get("week", "") if c.isalnum() or c == "-")
    return xlsx_response(
        lambda workbook: write_payments(workbook, selected, labels=labels, currency=shop.currency),
        f"payments-{week or timezone.localdate().isoformat()}.xlsx",
    )


@require_GET
@export_permission_required(Permission.EXPORTS_RUN)
def sales_by_mode(request: HttpRequest, membership: Membership) -> HttpResponseBase:
    form = DateRangeForm(request.GET)
    if not form.is_valid() or form.cleaned_data["end"] < form.cleaned_data["start"]:
        return HttpResponseBadRequest(_("Choose a start date and an end date, the start first."))
    shop, start, end = membership.shop, form.cleaned_data["start"], form.cleaned_data["end"]
    labels, accepted = _labels(shop.pk)
    return xlsx_response(
        lambda workbook: write_sales_by_mode(
            workbook,
            shop_id=shop.pk,
            start=start,
            end=end,
            labels=labels,
            accepted=accepted,
            currency=shop.currency,
        ),
        f"sales-by-mode-{start.isoformat()}-{end.isoformat()}.xlsx",
    )
