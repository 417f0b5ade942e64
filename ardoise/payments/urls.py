"""What providers reach: their webhooks, and the test provider's own checkout page."""

from django.urls import path

from ardoise.payments import webhooks
from ardoise.payments.providers.test import views as test_provider

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider>/", webhooks.provider_webhook, name="provider_webhook"),
    path("test-provider/<str:checkout_id>/", test_provider.test_checkout, name="test_checkout"),
]
