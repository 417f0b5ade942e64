from django.urls import path

from ardoise.staff.placeholder import not_built

urlpatterns = [
    path("roles/", not_built, name="role_list"),
    path("staff/", not_built, name="member_list"),
]
