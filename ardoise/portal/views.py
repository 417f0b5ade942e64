"""Public pages. No sign-in: the signed link is the key, and it opens one statement only.

Every refusal is a page that says what happened (an invalid, expired or unknown link, a
statement that cannot be paid online), never a 500, and changes nothing.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import override
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers import InvalidConfirmation, ProviderError, get_provider
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.statements.errors import InvalidLink, NotPayableOnline
from ardoise.statements.links import resolve_payment_link
from ardoise.statements.models import StatementLink
from ardoise.statements.rendering import statement_document
from ardoise.statements.selectors import payment_state
from ardoise.statements.services import pay_statement


def _link_error(request: HttpRequest, error: InvalidLink) -> HttpResponse:
    status = 410 if error.reason == "expired" else 404
    context = {"message": str(error), "reason": error.reason}
    return render(request, "portal/link_error.html", context, status=status)


def _statement_response(
    request: HttpRequest, link: StatementLink, token: str, *, error: str = "", status: int = 200
) -> HttpResponse:
    statement = link.statement
    with override(statement.language):
        state = payment_state(statement)
        context = {
            "statement": statement,
            "doc": statement_document(statement, pays_online=state.can_pay),
            "payment": state,
            "token": token,
            "error": error,
        }
        return render(request, "portal/statement.html", context, status=status)


@require_GET
def statement_page(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = resolve_payment_link(token)
    except InvalidLink as error:
        return _link_error(request, error)
    return _statement_response(request, link, token)


@require_POST
def statement_pay(request: HttpRequest, token: str) -> HttpResponse:
    try:
        link = resolve_payment_link(token)
    except InvalidLink as error:
        return _link_error(request, error)
    return_url = request.build_absolute_uri(reverse("portal:statement", kwargs={"token": token}))
    try:
        checkout = pay_statement(link=link, return_url=return_url)
    except NotPayableOnline as error:
        return _statement_response(request, link, token, error=str(error), status=409)
    if checkout.status != CheckoutStatus.PENDING or not checkout.redirect_url:
        return redirect(return_url)
    return redirect(checkout.redirect_url)


def _test_checkout(checkout_id: str) -> Checkout:
    try:
        get_provider(TestProvider.code)
    except ProviderError as error:
        raise Http404("the test provider is off") from error
    checkout = (
        Checkout.objects.select_related("shop")
        .filter(provider=TestProvider.code, provider_checkout_id=checkout_id)
        .first()
    )
    if checkout is None:
        raise Http404("no such checkout")
    return checkout


@require_http_methods(["GET", "POST"])
def test_checkout(request: HttpRequest, checkout_id: str) -> HttpResponse:
    """The TEST provider's hosted page: Approve or Decline, no money moves."""
    checkout = _test_checkout(checkout_id)
    if request.method == "POST" and checkout.status == CheckoutStatus.PENDING:
        body, headers = TestProvider().make_confirmation(
            provider_checkout_id=checkout_id,
            approve=request.POST.get("decision") == "approve",
            amount=checkout.amount,
            currency=checkout.currency,
        )
        receive_confirmation(provider_code=TestProvider.code, body=body, headers=headers)
        return redirect(checkout.return_url)
    if request.method == "POST":
        return redirect(checkout.return_url)
    return render(request, "portal/test_checkout.html", {"checkout": checkout})


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Confirmations posted by a provider: verified, stored raw, handled once."""
    try:
        receive_confirmation(provider_code=provider, body=request.body, headers=request.headers)
    except (InvalidConfirmation, ProviderError):
        return HttpResponse("invalid confirmation", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
