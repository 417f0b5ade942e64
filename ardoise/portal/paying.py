"""Paying into the account from the portal: a top-up of the amount the customer chooses, the
whole amount owed, or one statement. Each opens a checkout with the shop's provider
(`payments.top_ups`, `statements.services.pay_statement_online`) and sends the customer there;
the provider sends them back to a page that says how it went. The payment itself is recorded
only by the provider's confirmation, once.

Sent again after Back (`portal.repeats`): a top-up of the same amount started or paid a moment
ago is asked about before a second checkout opens; what is owed and a statement are paid through
the one checkout of their state, so sending them again reaches that checkout. The form pages are
`restorable`, so Back restores them with their key.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.core.errors import Refusal
from ardoise.core.repeats import restorable
from ardoise.payments.handling import refresh_live_checkout
from ardoise.payments.models import Checkout, CheckoutPurpose, CheckoutStatus
from ardoise.payments.selectors import online_provider_for
from ardoise.payments.top_ups import (
    pay_amount_owed,
    start_top_up,
    top_up_limits,
    top_up_reference,
)
from ardoise.portal import repeats
from ardoise.portal.access import PortalRequest, customer_required, render_portal
from ardoise.portal.forms import TopUpForm
from ardoise.statements.models import Statement
from ardoise.statements.services import pay_statement_online


def _go_to_provider(request: PortalRequest, checkout: Checkout, back: str) -> HttpResponse:
    if checkout.status == CheckoutStatus.PENDING and checkout.redirect_url:
        return redirect(checkout.redirect_url)
    return redirect(back)


def _result(request: PortalRequest, checkout: Checkout | None, nav: str) -> HttpResponse:
    if checkout is None:
        raise Http404("no such payment on this account")
    return render_portal(request, "portal/payment_result.html", {"nav": nav, "checkout": checkout})


def _checkout(request: PortalRequest, reference: str) -> Checkout | None:
    """The payer back from the provider's page: its latest checkout for `reference`, asked of
    the provider first if still pending (not left "pending" until the notification comes)."""
    refresh_live_checkout(shop_id=request.portal.shop.pk, reference=reference)
    return (
        Checkout.objects.filter(
            shop_id=request.portal.shop.pk,
            account_id=request.portal.account.pk,
            reference=reference,
        )
        .order_by("-id")
        .first()
    )


@restorable
@require_http_methods(["GET", "POST"])
@customer_required
def top_up(request: PortalRequest) -> HttpResponse:
    """A top-up of the amount the customer types. The same amount started or paid a moment ago
    under another key (the page fetched again after Back) opens nothing: the page asks first
    (`portal.repeats.top_up_repeat`)."""
    portal = request.portal
    minimum, maximum = top_up_limits(portal.shop)
    form = TopUpForm(
        request.POST or None, minimum=minimum, maximum=maximum, currency=portal.account.currency
    )
    repeat = None
    if request.method == "POST" and form.is_valid():
        key, amount = form.cleaned_data["idempotency_key"], form.cleaned_data["amount"]
        if not repeats.confirmed(request):
            repeat = repeats.top_up_repeat(portal, amount=amount, key=key)
        if repeat is None:
            return _start_top_up(request, form)
    return _top_up_page(request, form, repeat)


def _start_top_up(request: PortalRequest, form: TopUpForm) -> HttpResponse:
    portal = request.portal
    key = form.cleaned_data["idempotency_key"]
    back = request.build_absolute_uri(
        reverse("portal:top_up_done", kwargs={"shop_slug": portal.shop.slug, "key": key})
    )
    try:
        checkout = start_top_up(
            account=portal.account,
            amount=form.cleaned_data["amount"],
            idempotency_key=key,
            return_url=back,
        )
    except Refusal as error:
        form.refuse(error, "amount" if error.code == "top_up_out_of_range" else None)
        return _top_up_page(request, form, None)
    return _go_to_provider(request, checkout, back)


def _top_up_page(
    request: PortalRequest, form: TopUpForm, repeat: repeats.Repeat | None
) -> HttpResponse:
    context = {
        "nav": "top_up",
        "form": form,
        "repeat": repeat,
        "online_payment": online_provider_for(request.portal.shop.pk) is not None,
    }
    status = 409 if repeat else 400 if form.errors else 200
    return render_portal(request, "portal/top_up.html", context, status=status)


@require_GET
@customer_required
def top_up_done(request: PortalRequest, key: str) -> HttpResponse:
    return _result(
        request, _checkout(request, top_up_reference(request.portal.account, key)), "top_up"
    )


@restorable
@require_http_methods(["GET", "POST"])
@customer_required
def pay_owed(request: PortalRequest) -> HttpResponse:
    """The whole amount owed (the negative balance), paid online in one go.

    No key and no question: the checkout is the one of the account's state (`pay_amount_owed`),
    so a double click, Back then the button again, or two tabs all reach the same checkout (its
    page while it waits, how it went once paid); once paid, nothing is owed. The button pays
    what the page read just now, so a new amount owed after a payment is a new payment."""
    portal = request.portal
    portal.account.refresh_from_db()
    error = ""
    if request.method == "POST":
        back = request.build_absolute_uri(
            reverse(
                "portal:pay_owed_done",
                kwargs={"shop_slug": portal.shop.slug, "version": portal.account.version},
            )
        )
        try:
            checkout = pay_amount_owed(account=portal.account, return_url=back)
        except Refusal as refusal:
            error = str(refusal)
        else:
            return _go_to_provider(request, checkout, back)
    context = {
        "nav": "home",
        "owed": max(-portal.account.balance, 0),
        "error": error,
        "online_payment": online_provider_for(portal.shop.pk) is not None,
    }
    return render_portal(request, "portal/pay_owed.html", context, status=409 if error else 200)


@require_GET
@customer_required
def pay_owed_done(request: PortalRequest, version: int) -> HttpResponse:
    reference = f"balance:{request.portal.account.pk}:{version}"
    checkout = _checkout(request, reference)
    if checkout is not None and checkout.purpose != CheckoutPurpose.BALANCE:
        checkout = None
    return _result(request, checkout, "home")


@require_POST
@customer_required
def statement_pay(request: PortalRequest, statement_id: int) -> HttpResponse:
    """Pay one of the customer's statements online (what its link pays, without the link).
    Sent again it reaches the statement's one live checkout, and a paid statement is not paid
    again (`pay_statement_online`): nothing to ask."""
    portal = request.portal
    statement = Statement.objects.filter(
        shop_id=portal.shop.pk, account_id=portal.account.pk, pk=statement_id
    ).first()
    if statement is None:
        raise Http404("no such statement on this account")
    back = request.build_absolute_uri(
        reverse("portal:statements", kwargs={"shop_slug": portal.shop.slug})
    )
    try:
        checkout = pay_statement_online(statement=statement, return_url=back)
    except Refusal as error:
        messages.error(request, str(error))
        return redirect(back)
    return _go_to_provider(request, checkout, back)
