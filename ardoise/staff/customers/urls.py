from django.urls import path

from ardoise.staff.placeholder import not_built

urlpatterns = [
    path("", not_built, name="customer_list"),
    path("credit-accounts/", not_built, name="credit_account_list"),
    path("<int:customer_id>/", not_built, name="customer_account"),
]
