from django.urls import path

from ardoise.staff.placeholder import not_built

urlpatterns = [
    path("", not_built, name="statement_runs"),
    path("settings/", not_built, name="statement_settings"),
]
