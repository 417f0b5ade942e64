from django.urls import path

from ardoise.exports import views

app_name = "exports"

urlpatterns = [
    path("payments.xlsx", views.payments, name="payments"),
    path("sales-by-mode.xlsx", views.sales_by_mode, name="sales_by_mode"),
]
