from django.urls import include, path

# The API first: a till's request is resolved by the first pattern tried rather than after
# every page of the portal's.
urlpatterns = [
    path("api/", include("ardoise.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("ardoise.portal.urls")),
    path("p/", include("ardoise.payments.urls")),
    path("exports/", include("ardoise.exports.urls")),
    path("settings/api/", include("ardoise.api.settings_urls")),
    path("", include("ardoise.staff.urls")),
]
