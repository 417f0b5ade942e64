"""Sign-in by email, throttling of failed attempts, password reset by email, sign-out."""

import datetime as dt
import re

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ardoise.shops.models import Membership, RoleKind, Shop, SignInThrottle, User
from ardoise.shops.services import FAILURES_PER_EMAIL, LOCK_DURATION
from tests.factories import PASSWORD, make_member, owner_of

pytestmark = pytest.mark.django_db


def _client() -> Client:
    return Client(HTTP_ACCEPT_LANGUAGE="en")


def _sign_in(client: Client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post(reverse("staff:login"), {"username": email, "password": password})


def _errors(response) -> list[str]:  # type: ignore[no-untyped-def]
    return [str(error) for error in response.context["form"].non_field_errors()]


def test_sign_in_with_email_in_any_case(shop: Shop) -> None:
    owner = owner_of(shop)
    client = _client()

    response = _sign_in(client, owner.email.upper())

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")
    assert client.get(reverse("staff:customer_list")).status_code == 200


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(shop: Shop) -> None:
    response = _sign_in(_client(), owner_of(shop).email, "nope")

    assert response.status_code == 200
    assert _errors(response) == ["Wrong email or password."]


def test_repeated_failures_lock_the_email_even_with_the_right_password(shop: Shop) -> None:
    owner = owner_of(shop)
    for _ in range(FAILURES_PER_EMAIL - 1):
        _sign_in(_client(), owner.email, "wrong")
    locking = _sign_in(_client(), owner.email, "wrong")

    right = _sign_in(_client(), owner.email)

    assert _errors(locking) == ["Too many failed sign-in attempts. Try again in 15 minutes."]
    assert right.status_code == 200
    assert _errors(right) == ["Too many failed sign-in attempts. Try again in 15 minutes."]
    assert "_auth_user_id" not in right.wsgi_request.session


def test_the_lock_is_shared_through_the_database_and_expires(shop: Shop) -> None:
    owner = owner_of(shop)
    now = timezone.now()
    with time_machine.travel(now, tick=False):
        for _ in range(FAILURES_PER_EMAIL):
            _sign_in(_client(), owner.email, "wrong")
    row = SignInThrottle.objects.get(key=f"email:{owner.email}")
    assert row.locked_until == now + LOCK_DURATION

    with time_machine.travel(timezone.now() + LOCK_DURATION + dt.timedelta(seconds=1)):
        response = _sign_in(_client(), owner.email)

    assert response.status_code == 302
    assert not SignInThrottle.objects.filter(key=f"email:{owner.email}").exists()


def test_failures_spread_over_more_than_the_window_do_not_lock(shop: Shop) -> None:
    owner = owner_of(shop)
    start = timezone.now()
    for minute in range(0, 16 * (FAILURES_PER_EMAIL + 1), 16):
        with time_machine.travel(start + dt.timedelta(minutes=minute)):
            _sign_in(_client(), owner.email, "wrong")

    with time_machine.travel(start + dt.timedelta(minutes=16 * (FAILURES_PER_EMAIL + 1))):
        assert _sign_in(_client(), owner.email).status_code == 302


def test_a_user_without_an_active_membership_cannot_sign_in(shop: Shop) -> None:
    user = make_member(shop, RoleKind.ASSOCIATE)
    Membership.objects.filter(user=user).update(is_active=False)

    response = _sign_in(_client(), user.email)

    assert _errors(response) == ["This account has no access to any shop."]


def test_sign_in_applies_the_members_language(shop: Shop) -> None:
    user = make_member(shop, RoleKind.ASSOCIATE, language="en")

    response = _sign_in(Client(), user.email)

    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


def test_sign_out(shop: Shop) -> None:
    client = _client()
    _sign_in(client, owner_of(shop).email)

    response = client.post(reverse("staff:logout"))

    assert response.status_code == 302
    assert client.get(reverse("staff:customer_list")).status_code == 302


def test_password_reset_by_email(shop: Shop) -> None:
    owner = owner_of(shop)
    client = _client()

    sent = client.post(reverse("staff:password_reset"), {"email": owner.email.upper()})

    assert sent.status_code == 302
    assert sent["Location"] == reverse("staff:password_reset_done")
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/password/reset/\S+)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    assert form.context["validlink"] is True
    done = client.post(
        form.redirect_chain[-1][0],
        {
            "new_password1": "a much longer passphrase 7",
            "new_password2": "a much longer passphrase 7",
        },
    )
    assert done["Location"] == reverse("staff:password_reset_complete")
    assert _sign_in(_client(), owner.email, "a much longer passphrase 7").status_code == 302


def test_password_reset_for_an_unknown_email_sends_nothing_and_says_the_same(db: None) -> None:
    response = _client().post(reverse("staff:password_reset"), {"email": "nobody@example.com"})

    assert response["Location"] == reverse("staff:password_reset_done")
    assert mail.outbox == []
    assert User.objects.count() == 0
