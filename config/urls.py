from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("ardoise.portal.urls")),
    path("p/", include("ardoise.payments.urls")),
    path("exports/", include("ardoise.exports.urls")),
    path("api/", include("ardoise.api.urls")),
    path("settings/api/", include("ardoise.api.settings_urls")),
    path("", include("ardoise.staff.urls")),
]
