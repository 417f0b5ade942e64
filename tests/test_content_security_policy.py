"""Every page carries a Content-Security-Policy that its own HTML satisfies: no inline script,
no `on…=` handler attribute."""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from ardoise.core.security import POLICY
from tests.factories import client_for, make_account, make_shop, owner_of

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = sorted((ROOT / "ardoise").glob("**/templates/**/*.html"))


@pytest.mark.django_db
def test_pages_signed_in_or_not_carry_the_policy() -> None:
    shop = make_shop()
    account = make_account(shop)
    owner = client_for(owner_of(shop))

    for response in (
        Client().get(reverse("staff:login")),
        owner.get(reverse("staff:home")),
        owner.get(reverse("staff:customer_account", args=[account.customer_id])),
        owner.get("/no-such-page/"),
    ):
        assert response["Content-Security-Policy"] == POLICY
    assert "script-src 'self'" in POLICY
    assert "unsafe-inline" not in POLICY.split("script-src")[1].split(";")[0]


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: str(path.relative_to(ROOT)))
def test_no_template_has_an_inline_script_or_a_handler_attribute(template: Path) -> None:
    html = template.read_text()
    inline_scripts = [tag for tag in re.findall(r"<script\b[^>]*>", html) if "src=" not in tag]
    handlers = re.findall(r"\son[a-z]+\s*=", html)
    assert (inline_scripts, handlers) == ([], [])
