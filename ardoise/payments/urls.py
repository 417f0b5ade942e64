"""What providers reach: their webhooks, and the test provider's own checkout page."""

from django.urls import path

from ardoise.payments import views

app_name = "payments"

urlpatterns = [
    path("webhooks/<slug:provider>/", views.provider_webhook, name="provider_webhook"),
    path(
        "webhooks/<slug:provider>/<id:shop_id>/<str:key>/",
        views.account_webhook,
        name="account_webhook",
    ),
    # The test provider's ids are `test_` and URL-safe base64 (a slug): anything else is no route.
    path("test-provider/<slug:checkout_id>/", views.test_checkout, name="test_checkout"),
]
