from django.urls import path

from ardoise.staff.placeholder import not_built

urlpatterns = [
    path("", not_built, name="sale_list"),
    path("payments/", not_built, name="payments_week"),
    path("settings/invoices/", not_built, name="invoice_settings"),
    path("settings/exports/", not_built, name="exports"),
]
urlpatterns += [path("charges/<int:charge_id>/", not_built, name="charge_detail")]
