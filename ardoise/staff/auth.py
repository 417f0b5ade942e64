"""Staff sign-in by email, with throttling, password reset by email, and the member's language.

Failed sign-ins are counted in the database per email and per address (see
`shops.services.record_failed_sign_in`), so the lock holds across every app process. While an
email is locked, even the right password is refused, with a message saying for how long.
"""

import math
from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import i18n
from django.views.decorators.http import require_POST

from ardoise.shops.models import Membership, User
from ardoise.shops.services import (
    clear_failed_sign_ins,
    record_failed_sign_in,
    set_user_language,
    sign_in_locked_until,
)


def _locked_error(until: Any) -> forms.ValidationError:
    minutes = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    message = ngettext(
        "Too many failed sign-in attempts. Try again in %(minutes)d minute.",
        "Too many failed sign-in attempts. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}
    return forms.ValidationError(message, code="locked")


class SignInForm(auth_forms.AuthenticationForm):
    username = forms.EmailField(label=_("Email"), max_length=254)

    error_messages = {
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": _("Wrong email or password."),
        "no_shop": _("This account has no access to any shop."),
    }

    def clean(self) -> dict[str, Any]:
        email = (self.cleaned_data.get("username") or "").strip().lower()
        self.cleaned_data["username"] = email
        address = self.request.META.get("REMOTE_ADDR") if self.request else None
        until = sign_in_locked_until(email=email, address=address)
        if until is not None:
            raise _locked_error(until)
        try:
            super().clean()
        except forms.ValidationError:
            if email:
                until = record_failed_sign_in(email=email, address=address)
                if until is not None:
                    raise _locked_error(until) from None
            raise
        clear_failed_sign_ins(email=email)
        return self.cleaned_data

    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if not Membership.objects.filter(user=user, is_active=True).exists():
            raise forms.ValidationError(self.error_messages["no_shop"], code="no_shop")


class SignInView(auth_views.LoginView):
    form_class = SignInForm
    template_name = "staff/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: auth_forms.AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        language = form.get_user().language
        if language in dict(settings.LANGUAGES):
            response.set_cookie(
                settings.LANGUAGE_COOKIE_NAME,
                language,
                max_age=settings.LANGUAGE_COOKIE_AGE,
                samesite=settings.LANGUAGE_COOKIE_SAMESITE,
                secure=settings.SESSION_COOKIE_SECURE,
            )
        return response


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """The language menu: saves a signed-in member's preference, then sets the cookie and
    redirects like Django's own view (the preference is applied on every request by
    `MemberLanguageMiddleware`)."""
    if request.user.is_authenticated:
        set_user_language(user=request.user, language=request.POST.get("language", ""))
    return i18n.set_language(request)


class StaffPasswordResetForm(auth_forms.PasswordResetForm):
    """Also reaches invited members who have not chosen a password yet."""

    def get_users(self, email: str) -> Any:
        users = User.objects.filter(
            email__iexact=email.strip(), is_active=True, memberships__is_active=True
        ).distinct()
        return iter(users)


password_reset = auth_views.PasswordResetView.as_view(
    form_class=StaffPasswordResetForm,
    template_name="staff/auth/password_reset_form.html",
    email_template_name="staff/auth/password_reset_email.txt",
    subject_template_name="staff/auth/password_reset_subject.txt",
    success_url=reverse_lazy("staff:password_reset_done"),
)
password_reset_done = auth_views.PasswordResetDoneView.as_view(
    template_name="staff/auth/password_reset_done.html"
)
password_reset_confirm = auth_views.PasswordResetConfirmView.as_view(
    template_name="staff/auth/password_reset_confirm.html",
    success_url=reverse_lazy("staff:password_reset_complete"),
)
password_reset_complete = auth_views.PasswordResetCompleteView.as_view(
    template_name="staff/auth/password_reset_complete.html"
)
