"""The customer's public pages: a statement opened from its payment link. (Provider webhooks
and the test provider's checkout page are routed by `payments.urls`, under the same prefix.)"""

from django.urls import path

from ardoise.portal import views

app_name = "portal"

urlpatterns = [
    path("s/<str:token>/", views.statement_page, name="statement"),
    path("s/<str:token>/pay/", views.statement_pay, name="statement_pay"),
]
