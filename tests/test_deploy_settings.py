"""The production settings the README gives pass Django's deployment checks, and the cookies
are what a browser should get."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.factories import PASSWORD, make_shop, owner_of

ROOT = Path(__file__).resolve().parent.parent

README_PRODUCTION = {
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ENCRYPTION_KEYS": "BuX16GxyZvtaIkUuS-rbZ62aNYhKu4Q4af1AphVao_A=",
    "ALLOWED_HOSTS": "ardoise.example.fr",
    "SITE_URL": "https://ardoise.example.fr",
    "CSRF_TRUSTED_ORIGINS": "https://ardoise.example.fr",
    "BEHIND_HTTPS_PROXY": "1",
    "EMAIL_HOST": "smtp.example.fr",
    "DATABASE_URL": "postgres://ardoise:secret@db.internal:5432/ardoise",
}


def test_check_deploy_is_clean_with_the_readmes_production_settings() -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "ARDOISE_TESTING", "DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env |= README_PRODUCTION | {"ARDOISE_TESTING": "0"}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_the_language_cookie_is_samesite_lax_from_the_menu_and_at_sign_in() -> None:
    shop = make_shop()
    client = Client()
    signed_in = client.post(
        reverse("staff:login"), {"username": owner_of(shop).email, "password": PASSWORD}
    )
    menu = client.post(reverse("staff:set_language"), {"language": "en", "next": "/"})

    for response in (signed_in, menu):
        cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
        assert (cookie["samesite"], cookie["httponly"]) == ("Lax", True)


@pytest.mark.parametrize("keys", ["", "not-a-fernet-key"], ids=["missing", "malformed"])
def test_production_refuses_to_start_without_a_valid_encryption_key(keys: str) -> None:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DEBUG", "ARDOISE_TESTING", "DATABASE_URL", "ENCRYPTION_KEYS"}
    }
    env |= README_PRODUCTION | {"ARDOISE_TESTING": "0", "ENCRYPTION_KEYS": keys}

    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "ENCRYPTION_KEYS" in result.stderr
