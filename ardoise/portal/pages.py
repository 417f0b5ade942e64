"""The signed-in customer's pages: home (balance and latest movements), history, documents,
settings. Each view starts with `customer_required`, which sets `request.portal`."""

import datetime as dt

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views import i18n
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.customers.emails import EMAIL_CHANGE
from ardoise.customers.models import PortalLinkPurpose
from ardoise.customers.portal_links import InvalidPortalLink, check_link, consume_link
from ardoise.customers.services import update_customer
from ardoise.customers.tasks import send_portal_link_task
from ardoise.portal.access import (
    PortalRequest,
    activate_customer_language,
    customer_required,
    portal_shop,
    render_portal,
    sign_in_customer,
    signed_in_customer,
)
from ardoise.portal.documents import history_context
from ardoise.portal.forms import PortalSettingsForm

RECENT_DAYS = 90
RECENT_LINES = 5


@require_GET
@customer_required
def home(request: PortalRequest) -> HttpResponse:
    today = timezone.localdate()
    recent = history_context(request.portal, today - dt.timedelta(days=RECENT_DAYS), today)
    recent["lines"] = recent["lines"][:RECENT_LINES]
    return render_portal(request, "portal/home.html", {"nav": "home", **recent})


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


@require_http_methods(["GET", "POST"])
@customer_required
def portal_settings(request: PortalRequest) -> HttpResponse:
    """Language and email. A new email changes only once the link sent to it is opened."""
    customer = request.portal.customer
    initial = {"language": customer.language, "email": customer.email}
    form = PortalSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        language, email = form.cleaned_data["language"], form.cleaned_data["email"].strip()
        if language != customer.language:
            update_customer(customer=customer, actor_id=None, language=language)
            activate_customer_language(request, customer)
            if not language:
                translation.activate(translation.get_language_from_request(request))
        if email.lower() != customer.email.lower():
            customer_id = customer.pk
            transaction.on_commit(
                lambda: send_portal_link_task.enqueue(customer_id, EMAIL_CHANGE, email)
            )
            messages.info(
                request,
                _(
                    "We sent a link to %(email)s. Your address changes when you open it; "
                    "until then we keep writing to %(current)s."
                )
                % {"email": email, "current": customer.email},
            )
        else:
            messages.success(request, _("Settings saved."))
        return redirect("portal:settings", shop_slug=request.portal.shop.slug)
    context = {"nav": "settings", "form": form}
    return render_portal(
        request, "portal/settings.html", context, status=400 if form.errors else 200
    )


@require_http_methods(["GET", "POST"])
def email_confirm(request: HttpRequest, shop_slug: str, token: str) -> HttpResponse:
    """The link sent to a new address: a button confirms it (a mail scanner's fetch does not).

    Confirming changes the address and signs the customer out everywhere (their sessions were
    opened with the old address), then signs this browser in again: it just proved the address.
    """
    shop = portal_shop(shop_slug)
    purpose = PortalLinkPurpose.EMAIL_CHANGE
    try:
        if request.method == "POST":
            consumed = consume_link(shop=shop, token=token, purpose=purpose)
            sign_in_customer(request, consumed.customer)
            activate_customer_language(request, consumed.customer)
            messages.success(
                request,
                _("Your email address is now %(email)s.") % {"email": consumed.new_email},
            )
            return redirect("portal:settings", shop_slug=shop.slug)
        link = check_link(shop=shop, token=token, purpose=purpose)
    except InvalidPortalLink:
        context = {
            "shop": shop,
            "message": _("This link is not valid any more: it has expired or was already used."),
        }
        return render(request, "portal/email_confirm.html", context, status=410)
    activate_customer_language(request, link.customer)
    return render(request, "portal/email_confirm.html", {"shop": shop, "link": link})
