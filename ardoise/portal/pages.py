"""The signed-in customer's pages: home (balance and latest movements), history, documents,
settings. Each view starts with `customer_required`, which sets `request.portal`."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views import i18n
from django.views.decorators.http import require_GET, require_POST

from ardoise.customers.services import update_customer
from ardoise.portal.access import (
    PortalRequest,
    customer_required,
    portal_shop,
    render_portal,
    signed_in_customer,
)


@require_GET
@customer_required
def home(request: PortalRequest) -> HttpResponse:
    return render_portal(request, "portal/home.html", {"nav": "home"})


@require_POST
def language(request: HttpRequest, shop_slug: str) -> HttpResponse:
    """The footer's language menu: saved as the customer's setting when signed in (their
    documents and emails follow it), and as the browser's cookie either way."""
    shop = portal_shop(shop_slug)
    customer = signed_in_customer(request, shop)
    code = request.POST.get("language", "")
    if customer is not None and code in dict(settings.LANGUAGES) and customer.language != code:
        update_customer(customer=customer, actor_id=None, language=code)
    return i18n.set_language(request)
