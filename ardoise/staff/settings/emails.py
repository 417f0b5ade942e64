"""The invitation email: a link to choose a password, sent after the membership is committed."""

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from ardoise.shops.models import Membership


def send_invitation(*, membership: Membership) -> None:
    """Email the new member a set-password link (the password-reset link, valid a few days)."""
    user = membership.user
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    if user.has_usable_password():
        path = reverse("staff:login")
    else:
        path = reverse("staff:password_reset_confirm", kwargs={"uidb64": uid, "token": token})
    context = {
        "membership": membership,
        "shop": membership.shop,
        "link": settings.SITE_URL + path,
        "has_password": user.has_usable_password(),
    }
    with translation.override(user.language or membership.shop.language):
        subject = render_to_string("staff/auth/invitation_subject.txt", context).strip()
        body = render_to_string("staff/auth/invitation_email.txt", context)
    send_mail(subject, body, None, [user.email])
