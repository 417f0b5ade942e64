from django.urls import path

from ardoise.staff.audit.views import audit_log
from ardoise.staff.settings import accounts, online_payment, portal, views

urlpatterns = [
    path("accounts/", accounts.account_settings, name="account_settings"),
    path("audit/", audit_log, name="audit_log"),
    path("portal/", portal.portal_settings, name="portal_settings"),
    path("online-payment/", online_payment.online_payment_settings, name="online_payment_settings"),
    path("online-payment/checks/", online_payment.payment_checks, name="payment_checks"),
    path(
        "online-payment/<slug:provider>/",
        online_payment.provider_account_save,
        name="provider_account_save",
    ),
    path(
        "online-payment/<slug:provider>/check/",
        online_payment.provider_account_check,
        name="provider_account_check",
    ),
    path(
        "online-payment/<slug:provider>/remove/",
        online_payment.provider_account_remove,
        name="provider_account_remove",
    ),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_create, name="role_create"),
    path("roles/<id:role_id>/", views.role_edit, name="role_edit"),
    path("staff/", views.member_list, name="member_list"),
    path("staff/invite/", views.member_invite, name="member_invite"),
    path("staff/<id:membership_id>/role/", views.member_role, name="member_role"),
    path("staff/<id:membership_id>/active/", views.member_active, name="member_active"),
]
