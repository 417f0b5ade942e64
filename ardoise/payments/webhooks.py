"""Inbound provider webhooks: `POST /p/webhooks/<provider>/`, signed by the provider."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ardoise.payments.online import receive_confirmation
from ardoise.payments.providers.base import InvalidConfirmation, ProviderError


@csrf_exempt
@require_POST
def provider_webhook(request: HttpRequest, provider: str) -> HttpResponse:
    """Confirmations posted by a provider: verified, stored raw, handled once."""
    try:
        receive_confirmation(provider_code=provider, body=request.body, headers=request.headers)
    except (InvalidConfirmation, ProviderError):
        return HttpResponse("invalid confirmation", status=400, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
