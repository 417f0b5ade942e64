"""The audit log: every audited event of the shop, in plain words, filterable and paginated."""

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from ardoise.audit.models import AuditEvent
from ardoise.core.ids import parse_id
from ardoise.customers.models import Customer, search_condition
from ardoise.payments.models import PaymentMode
from ardoise.shops.access import MemberRequest
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.audit import selectors
from ardoise.staff.audit.sentences import KINDS, Reading, describe

PAGE_SIZE = 50
MATCHING_CUSTOMERS = 50


def _filter(request: MemberRequest) -> tuple[selectors.AuditFilter, Customer | None, str]:
    shop_id = request.membership.shop_id
    params = request.GET
    customer = None
    customer_ids: list[int] | None = None
    search = params.get("q", "").strip()[:100]
    customer_id = parse_id(params.get("customer", ""))
    if customer_id is not None:
        customer = Customer.objects.for_shop(shop_id).filter(pk=customer_id).first()
        customer_ids = [customer.pk] if customer else []
    elif search:
        matching = Customer.objects.for_shop(shop_id).filter(search_condition(search))
        customer_ids = list(matching.values_list("pk", flat=True)[:MATCHING_CUSTOMERS])
    staff = params.get("staff", "")
    chosen = selectors.AuditFilter(
        customer_ids=customer_ids,
        actor_id=parse_id(staff),
        system_only=staff == "none",
        kind=params.get("kind", ""),
    )
    return chosen, customer, search


@member_required(Permission.SETTINGS_MANAGE)
def audit_log(request: MemberRequest) -> HttpResponse:
    shop = request.membership.shop
    chosen, customer, search = _filter(request)
    page = Paginator(selectors.events_for_shop(shop.pk, chosen), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    events: list[AuditEvent] = list(page.object_list)
    members = Membership.objects.filter(shop_id=shop.pk).select_related("user").order_by("id")
    reading = Reading(
        currency=shop.currency,
        modes={mode.code: str(mode.label) for mode in PaymentMode.objects.for_shop(shop.pk)},
        users={member.user_id: str(member.user) for member in members},
    )
    customers = selectors.customers_of(events)
    rows = [(event, describe(event, reading), customers.get(event.pk)) for event in events]
    context = {
        "page": page,
        "rows": rows,
        "members": members,
        "kinds": KINDS,
        "chosen": chosen,
        "staff": request.GET.get("staff", ""),
        "customer": customer,
        "search": search,
        "nav": "settings",
    }
    return render(request, "staff/settings/audit_log.html", context)
