from django.urls import path

from ardoise.api import settings_views

app_name = "api_keys"

urlpatterns = [
    path("", settings_views.key_list, name="key_list"),
    path("<id:key_id>/revoke/", settings_views.key_revoke, name="key_revoke"),
]
