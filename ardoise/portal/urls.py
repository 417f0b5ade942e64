"""The customer's public pages: a statement opened from its payment link, and the checkout
page of the test payment provider."""

from django.urls import path

from ardoise.portal import views

app_name = "portal"

urlpatterns = [
    path("s/<str:token>/", views.statement_page, name="statement"),
    path("s/<str:token>/pay/", views.statement_pay, name="statement_pay"),
    path("test-provider/<str:checkout_id>/", views.test_checkout, name="test_checkout"),
    path("webhooks/<slug:provider>/", views.provider_webhook, name="provider_webhook"),
]
