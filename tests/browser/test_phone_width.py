"""At 390 px wide (a phone), no page a customer or a cashier uses scrolls sideways.

Measured in real Chromium: `scrollWidth` of the document must not exceed the window's width.
A wide table may scroll inside its own box; the page itself never does.
"""

import os
from typing import Any

import pytest
from django.urls import reverse

from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from ardoise.statements import issuing as statements
from ardoise.statements.links import create_payment_link
from tests.browser.test_back_office import sign_in
from tests.factories import key, make_account, make_shop, owner_of
from tests.invoicing.builders import line, make_invoice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
SCREENSHOTS = os.environ.get("ARDOISE_SCREENSHOTS", "")  # a folder, to look at the pages


@pytest.fixture
def shop() -> Shop:
    return make_shop(
        name="Épicerie fine des Trois Chênes et Fils",
        legal_name="EARL des Trois Chênes et Fils",
        address="12 chemin des Vignes\n69390 Charly",
        siret="81234567800012",
        default_credit_limit=1_000_00,
    )


@pytest.fixture
def account(shop: Shop) -> Account:
    account = make_account(
        shop,
        credit_limit=1_000_00,
        name="Marie-Christine Dupont-Lefebvre",
        company="Restaurant Le Grand Comptoir des Halles",
        email="marie-christine.dupont-lefebvre@restaurant-grand-comptoir.fr",
    )
    for _ in range(3):
        make_invoice(
            account,
            line("Panier de légumes de saison, assortiment du producteur", "3", "23.4500"),
        )
    return account


def _overflow(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _widest(page: Any) -> list[str]:
    """The elements that stick out on the right, to say what to fix."""
    return list(
        page.evaluate(
            """() => [...document.querySelectorAll('body *')]
              .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth)
              .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
        )
    )


def test_cashier_pages_do_not_scroll_sideways_on_a_phone(
    page: Any, shop: Shop, account: Account
) -> None:
    statement = statements.issue_statement(account=account, actor=None, idempotency_key=key())
    page.set_viewport_size(PHONE)
    sign_in(page, owner_of(shop).email)
    charge_id = account.charges.order_by("id").first().pk  # type: ignore[union-attr]
    urls = {
        "account tab": reverse("staff:customer_account", args=[account.customer_id]),
        "invoice page": reverse("staff:charge_detail", args=[charge_id]),
        "printed invoice": reverse("staff:invoice_print", args=[charge_id]),
        "receipt": reverse("staff:receipt", args=[charge_id]),
        "statement preview": reverse("staff:statement_preview", args=[account.customer_id]),
        "statement": reverse("staff:statement_detail", args=[statement.pk]),
        "customers list": reverse("staff:customer_list"),
        "credit accounts": reverse("staff:credit_account_list"),
        "sales": reverse("staff:sale_list"),
        "payments": reverse("staff:payments_week"),
    }
    overflowing = {}
    for name, url in urls.items():
        page.goto(url)
        page.wait_for_load_state()
        if SCREENSHOTS:
            page.screenshot(path=f"{SCREENSHOTS}/{name.replace(' ', '-')}.png", full_page=True)
        if (extra := _overflow(page)) > 0:
            overflowing[name] = (extra, _widest(page))
    assert overflowing == {}


def test_the_customers_list_keeps_the_balance_column_on_a_phone(
    page: Any, shop: Shop, account: Account
) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, owner_of(shop).email)
    page.goto(reverse("staff:customer_list"))

    rows = "[data-testid=customer-table] tbody tr[data-customer]"
    cell = page.locator(f"{rows} td[data-balance]").first
    box = cell.bounding_box()
    assert cell.is_visible()
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE["width"]


def test_the_customers_statement_page_does_not_scroll_sideways_on_a_phone(
    page: Any, account: Account
) -> None:
    statement = statements.issue_statement(account=account, actor=None, idempotency_key=key())
    token = create_payment_link(statement=statement, days=30)
    page.set_viewport_size(PHONE)

    page.goto(reverse("portal:statement", args=[token]))

    assert page.locator(".statement").count() == 1
    assert _overflow(page) == 0


def test_printed_invoice_and_receipt_use_the_apps_font_with_tabular_figures(
    page: Any, shop: Shop, account: Account
) -> None:
    sign_in(page, owner_of(shop).email)
    charge_id = account.charges.order_by("id").first().pk  # type: ignore[union-attr]
    for url in (
        reverse("staff:invoice_print", args=[charge_id]),
        reverse("staff:receipt", args=[charge_id]),
    ):
        page.goto(url)
        style = page.evaluate(
            """() => { const cell = document.querySelector('td.num');
                       const s = getComputedStyle(cell);
                       return [s.fontFamily, s.fontVariantNumeric, s.textAlign]; }"""
        )
        family, figures, align = style
        assert "monospace" not in family
        assert "system-ui" in family
        assert (figures, align) == ("tabular-nums", "right")


def test_pages_break_no_rule_of_their_content_security_policy(
    chromium: Any, live_server: Any, shop: Shop, account: Account
) -> None:
    context = chromium.new_context(base_url=live_server.url, locale="fr-FR")  # policy enforced
    page = context.new_page()
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    sign_in(page, owner_of(shop).email)
    charge_id = account.charges.order_by("id").first().pk  # type: ignore[union-attr]
    for url in (
        reverse("staff:customer_account", args=[account.customer_id]),
        reverse("staff:charge_detail", args=[charge_id]),
        reverse("staff:charge_refund", args=[charge_id]),
        reverse("staff:invoice_print", args=[charge_id]),
        reverse("staff:sale_new"),
        reverse("staff:payments_week"),
        reverse("staff:statement_preview", args=[account.customer_id]),
    ):
        page.goto(url)
        page.wait_for_load_state("networkidle")
    # The language menu still submits itself, through the site's own script.
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    lang = page.locator("html").get_attribute("lang")
    context.close()
    assert lang == "en"
    assert violations == []
