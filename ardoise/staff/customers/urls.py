from django.urls import path

from ardoise.staff.customers import portal, views

urlpatterns = [
    path("", views.customer_list, name="customer_list"),
    path("new/", views.customer_create, name="customer_create"),
    path("credit-accounts/", views.credit_account_list, name="credit_account_list"),
    path("<id:customer_id>/", views.customer_account, name="customer_account"),
    path("<id:customer_id>/edit/", views.customer_edit, name="customer_edit"),
    path(
        "<id:customer_id>/credit-limit/",
        views.customer_credit_limit,
        name="customer_credit_limit",
    ),
    path(
        "<id:customer_id>/apply-deposit/",
        views.customer_apply_deposit,
        name="customer_apply_deposit",
    ),
    path("<id:customer_id>/deactivate/", views.customer_deactivate, name="customer_deactivate"),
    path(
        "<id:customer_id>/portal/invite/",
        portal.customer_portal_invite,
        name="customer_portal_invite",
    ),
    path(
        "<id:customer_id>/portal/sign-out/",
        portal.customer_portal_sign_out,
        name="customer_portal_sign_out",
    ),
    path(
        "<id:customer_id>/movements/<slug:kind>/",
        views.customer_movement,
        name="customer_movement",
    ),
]
