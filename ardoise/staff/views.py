from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render

from ardoise.ledger.selectors import debtors
from ardoise.shops.access import MemberRequest
from ardoise.staff.access import member_required
from ardoise.staff.context import SETTINGS_PERMISSIONS
from ardoise.staff.selectors import shop_totals


@member_required()
def home(request: MemberRequest) -> HttpResponse:
    shop_id = request.membership.shop_id
    context = {"totals": shop_totals(shop_id), "debtors": debtors(shop_id)[:10]}
    return render(request, "staff/home.html", context)


@member_required()
def settings_index(request: MemberRequest) -> HttpResponse:
    """The tiles of the settings the role may change; a role with none gets 403, not an empty
    page (the menu does not offer it either)."""
    if not any(request.membership.can(permission) for permission in SETTINGS_PERMISSIONS):
        raise PermissionDenied
    return render(request, "staff/settings/index.html", {"nav": "settings"})
