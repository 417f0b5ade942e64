"""Back-office URLs, one flat `staff:` namespace; each area keeps its own urls module.

URL names are prefixed by their area's nouns (`customer_list`, `sale_detail`, `statement_preview`)
so the areas never collide.
"""

from django.urls import include, path

from ardoise.staff import views

app_name = "staff"

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("ardoise.staff.auth_urls")),
    path("customers/", include("ardoise.staff.customers.urls")),
    path("sales/", include("ardoise.staff.sales.urls")),
    path("statements/", include("ardoise.staff.statements.urls")),
    path("settings/", views.settings_index, name="settings"),
    path("settings/", include("ardoise.staff.settings.urls")),
]
