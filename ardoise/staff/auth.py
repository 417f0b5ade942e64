"""Staff sign-in by email, with throttling, password reset by email, and the member's language.

Sign-in attempts are counted in the database per email and per client address (see
`shops.services.claim_attempt`), before the password is checked, so the lock holds across every
app process and parallel attempts cannot pass it. While an email is locked, even the right
password is refused, with a message saying for how long. Password reset requests are counted
the same way; a refused one reads exactly like a sent one.
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

from ardoise.shops.addresses import client_address
from ardoise.shops.models import Membership, User
from ardoise.shops.services import (
    claim_attempt,
    confirm_failed_attempt,
    forget_attempt,
    set_user_language,
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
        if not email:
            return super().clean()
        address = client_address(self.request) if self.request else None
        until = claim_attempt(email=email, address=address)
        if until is not None:
            raise _locked_error(until)
        try:
            super().clean()
        except forms.ValidationError:
            until = confirm_failed_attempt(email=email, address=address)
            if until is not None:
                raise _locked_error(until) from None
            raise
        forget_attempt(email=email, address=address)
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
                samesite="Lax",  # as settings.LANGUAGE_COOKIE_SAMESITE
                secure=settings.LANGUAGE_COOKIE_SECURE,
                httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
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
    """Also reaches invited members who have not chosen a password yet. Throttled per email and
    per address; a refused request sends nothing and reads exactly like a sent one."""

    def save(self, **kwargs: Any) -> None:  # type: ignore[override]
        request = kwargs.get("request")
        address = client_address(request) if request else None
        if claim_attempt(email=self.cleaned_data["email"], address=address, kind="reset"):
            return
        super().save(**kwargs)

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
