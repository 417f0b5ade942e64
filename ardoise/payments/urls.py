"""What providers reach: their webhooks, and the test provider's own checkout page."""

from django.urls import path

from ardoise.payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider>/", views.provider_webhook, name="provider_webhook"),
    path(
        "webhooks/<slug:provider>/<int:shop_id>/<str:key>/",
        views.account_webhook,
        name="account_webhook",
    ),
    path("test-provider/<str:checkout_id>/", views.test_checkout, name="test_checkout"),
]
