"""The member's language: their saved preference applies on every request, not only at sign-in,
and the language menu saves it."""

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import make_member

pytestmark = pytest.mark.django_db


def _signed_in(user: User, accept_language: str) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=accept_language)
    client.force_login(user)
    return client


def test_the_saved_preference_beats_the_browser_language(shop: Shop) -> None:
    user = make_member(shop, RoleKind.OWNER, language="fr")
    client = _signed_in(user, accept_language="en")

    response = client.get(reverse("staff:home"))

    assert response.status_code == 200
    assert response["Content-Language"] == "fr"
    assert '<html lang="fr">' in response.content.decode()
    assert ">Clients</a>" in response.content.decode()


def test_a_preference_changed_elsewhere_applies_on_the_next_request(shop: Shop) -> None:
    user = make_member(shop, RoleKind.OWNER, language="fr")
    client = _signed_in(user, accept_language="fr")
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    assert client.get(reverse("staff:home"))["Content-Language"] == "fr"

    User.objects.filter(pk=user.pk).update(language="en")  # changed on another device
    response = client.get(reverse("staff:home"))

    assert response["Content-Language"] == "en"
    assert ">Customers</a>" in response.content.decode()


def test_the_language_menu_saves_the_preference(shop: Shop) -> None:
    user = make_member(shop, RoleKind.OWNER, language="fr")
    client = _signed_in(user, accept_language="fr")

    response = client.post(
        reverse("staff:set_language"), {"language": "en", "next": reverse("staff:home")}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("staff:home")
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    user.refresh_from_db()
    assert user.language == "en"
    other_device = _signed_in(user, accept_language="fr")
    assert other_device.get(reverse("staff:home"))["Content-Language"] == "en"


def test_an_unknown_language_changes_nothing(shop: Shop) -> None:
    user = make_member(shop, RoleKind.OWNER, language="fr")
    client = _signed_in(user, accept_language="fr")

    client.post(reverse("staff:set_language"), {"language": "xx", "next": reverse("staff:home")})

    user.refresh_from_db()
    assert user.language == "fr"
    assert client.get(reverse("staff:home"))["Content-Language"] == "fr"


def test_signed_out_visitors_get_their_browser_language() -> None:
    response = Client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("staff:login"))

    assert response["Content-Language"] == "en"
