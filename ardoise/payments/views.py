"""What providers and payers reach: the provider webhook, and the test provider's checkout page.

Every webhook is verified and stored raw before it is handled (`online.receive_confirmation`).
The test provider's page (Approve or Decline, no money moves) stands in for the page a real
provider hosts on its own site, so it is routed here, not with the shop's customer pages in
`portal`; it is a 404 when the test provider is off. Both sit under `/p/` (config/urls.py).
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers.base import InvalidConfirmation, ProviderError
from ardoise.payments.providers.registry import get_provider
from ardoise.payments.providers.test.provider import TestProvider


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Confirmations posted by a provider: verified, stored raw, handled once."""
    try:
        receive_confirmation(provider_code=provider, body=request.body, headers=request.headers)
    except (InvalidConfirmation, ProviderError):
        return HttpResponse("invalid confirmation", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


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
    return render(request, "payments/test_checkout.html", {"checkout": checkout})
