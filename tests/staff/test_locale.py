"""What a French (or English) reader's browser receives: values a browser parses are never
localised, dates follow the shop's country, French elision is right."""

import datetime as dt

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import RoleKind, Shop, User
from tests.factories import key, make_account, make_member, owner_of

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 2, 10, 0, tzinfo=dt.UTC)


def _client(user: User, language: str) -> Client:
    user.language = language
    user.save(update_fields=["language"])
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client


@pytest.fixture
def french(shop: Shop) -> Client:
    return _client(owner_of(shop), "fr")


@pytest.fixture
def english(shop: Shop) -> Client:
    return _client(owner_of(shop), "en")


@time_machine.travel(NOW)
def test_the_french_exports_page_shows_its_default_dates_as_iso_values(french: Client) -> None:
    response = french.get(reverse("staff:exports"))

    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="start" value="2026-12-01"' in html
    assert 'name="end" value="2026-12-02"' in html


@time_machine.travel(NOW)
def test_the_french_chart_draws_its_zero_line_with_svg_coordinates(
    french: Client, account: Account
) -> None:
    ledger.post_charge(account=account, total=30_00, idempotency_key=key(), actor=None)
    ledger.record_top_up(
        account=account, amount=45_55, mode="cash", idempotency_key=key(), actor=None
    )

    response = french.get(reverse("staff:customer_account", args=[account.customer_id]))

    chart = response.context["chart"]
    html = response.content.decode()
    assert chart.zero_y.count(".") == 1
    assert f'y1="{chart.zero_y}" y2="{chart.zero_y}"' in html
    assert "Le plus haut 15,55 €" in html.replace("\u202f", " ").replace("\xa0", " ")


@time_machine.travel(NOW)
def test_english_dates_are_day_first_as_a_shop_in_france_writes_them(
    english: Client, account: Account
) -> None:
    ledger.post_charge(
        account=account, total=30_00, reference="F-9", idempotency_key=key(), actor=None
    )

    response = english.get(reverse("staff:customer_account", args=[account.customer_id]))

    html = response.content.decode()
    assert "02/12/2026" in html
    assert "12/02/2026" not in html


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Adam Durand", "Coordonnées d'Adam Durand"),
        ("Élodie Petit", "Coordonnées d'Élodie Petit"),
        ("Hélène Roux", "Coordonnées d'Hélène Roux"),
        ("Bernard Noir", "Coordonnées de Bernard Noir"),
    ],
)
def test_french_elides_de_before_a_vowel(
    french: Client, shop: Shop, name: str, expected: str
) -> None:
    account = make_account(shop, name=name)

    response = french.get(reverse("staff:customer_edit", args=[account.customer_id]))

    assert expected in response.content.decode().replace("&#x27;", "'")


def test_english_reads_the_same_sentence_whatever_the_name(english: Client, shop: Shop) -> None:
    account = make_account(shop, name="Adam Durand")

    response = english.get(reverse("staff:customer_edit", args=[account.customer_id]))

    assert "Details of Adam Durand" in response.content.decode()


def test_403_is_in_the_members_language_and_in_the_apps_layout(shop: Shop) -> None:
    associate = _client(make_member(shop, RoleKind.ASSOCIATE), "fr")

    response = associate.get(reverse("staff:role_list"))

    html = response.content.decode()
    assert response.status_code == 403
    assert '<html lang="fr">' in html
    assert "Action non autorisée" in html
    assert 'class="mainnav"' in html  # the member keeps the menu


def test_404_is_in_the_members_language_and_in_the_apps_layout(french: Client) -> None:
    response = french.get(reverse("staff:customer_account", args=[999_999]))

    html = response.content.decode()
    assert response.status_code == 404
    assert '<html lang="fr">' in html
    assert "Page introuvable" in html
    assert 'class="mainnav"' in html


def test_a_role_without_settings_has_no_settings_menu_and_no_empty_page(shop: Shop) -> None:
    associate = _client(make_member(shop, RoleKind.ASSOCIATE), "en")

    home = associate.get(reverse("staff:home"))
    settings_page = associate.get(reverse("staff:settings"))

    assert reverse("staff:settings") not in home.content.decode()
    assert settings_page.status_code == 403
