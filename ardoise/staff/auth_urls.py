from django.contrib.auth import views as auth_views
from django.urls import path

from ardoise.staff import auth

urlpatterns = [
    path("login/", auth.SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("language/", auth.set_language, name="set_language"),
    path("password/reset/", auth.password_reset, name="password_reset"),
    path("password/reset/sent/", auth.password_reset_done, name="password_reset_done"),
    path(
        "password/reset/<uidb64>/<token>/",
        auth.password_reset_confirm,
        name="password_reset_confirm",
    ),
    path("password/reset/done/", auth.password_reset_complete, name="password_reset_complete"),
]
