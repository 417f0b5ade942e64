"""What providers and payers reach: the provider webhooks, and the test provider's checkout page.

Every webhook is verified and stored raw before it is handled. A real provider's (SumUp, Stripe)
posts to the shop's own address and is answered as soon as it is stored; a task handles it
(`webhooks.receive_notification`). One that does not verify is logged and answered 400, and
writes nothing.
The test provider's page (Approve or Decline, no money moves) stands in for the page a real
provider hosts on its own site, so it is routed here, not with the shop's customer pages in
`portal`; it is a 404 when the test provider is off. Both sit under `/p/` (config/urls.py).
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.payments.models import Checkout, CheckoutStatus
from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers.base import InvalidConfirmation, ProviderError
from ardoise.payments.providers.registry import get_provider
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.payments.webhooks import account_for_webhook, receive_notification

logger = logging.getLogger(__name__)

MAX_WEBHOOK_BYTES = 256 * 1024


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Confirmations posted by a provider: verified, stored raw, handled once."""
    try:
        receive_confirmation(provider_code=provider, body=request.body, headers=request.headers)
    except (InvalidConfirmation, ProviderError):
        return HttpResponse("invalid confirmation", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")


@csrf_exempt
@require_POST
def account_webhook(request: HttpRequest, provider: str, shop_id: int, key: str) -> HttpResponse:
    """A real provider's notifications for one shop: verified, stored raw, answered, queued."""
    account = account_for_webhook(provider=provider, shop_id=shop_id, key=key)
    if account is None:
        raise Http404("no such webhook")
    body = request.body
    if len(body) > MAX_WEBHOOK_BYTES:
        logger.warning("%s webhook for shop %s refused: body too large", provider, shop_id)
        return HttpResponse("too large", status=413, content_type="text/plain")
    try:
        receive_notification(account=account, body=body, headers=request.headers)
    except InvalidConfirmation as error:
        logger.warning("%s webhook for shop %s refused: %s", provider, shop_id, error)
        return HttpResponse("invalid notification", status=400, content_type="text/plain")
    except ProviderError as error:
        logger.warning("%s webhook for shop %s refused: %s", provider, shop_id, error)
        return HttpResponse("invalid notification", status=400, content_type="text/plain")
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
