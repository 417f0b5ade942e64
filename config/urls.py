from django.urls import include, path

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include("ardoise.portal.urls")),
    path("p/", include("ardoise.payments.urls")),
    path("exports/", include("ardoise.exports.urls")),
    path("", include("ardoise.staff.urls")),
]
