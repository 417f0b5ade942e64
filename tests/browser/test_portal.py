"""End to end in Chromium: a customer asks for a sign-in link, opens it from the email a real
SMTP server received, and reads their balance (top right) and their history, on a phone
(390 px) and a laptop (1366 px), in French and in English, without scrolling sideways."""

import os
from typing import Any

import pytest
from django.urls import reverse

from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.shops.models import Shop
from ardoise.statements.issuing import issue_statement
from tests.factories import key
from tests.invoicing.builders import line, make_invoice
from tests.portal.support import link_path, portal_account, portal_shop
from tests.statements.support import run_worker, smtp_server, squash

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 800}
SCREENSHOTS = os.environ.get("ARDOISE_SCREENSHOTS", "")  # a folder, to look at the pages


def _overflow(page: Any) -> int:
    return int(
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    )


def _shot(page: Any, name: str) -> None:
    if SCREENSHOTS:
        os.makedirs(SCREENSHOTS, exist_ok=True)
        page.screenshot(path=os.path.join(SCREENSHOTS, f"{name}.png"), full_page=True)


def _customer(shop: Shop, language: str) -> Account:
    account = portal_account(
        shop,
        language=language,
        name="Marie-Christine Dupont-Lefebvre",
        company="Restaurant Le Grand Comptoir des Halles",
        credit_limit=200_00,
    )
    invoice = make_invoice(
        account, line("Panier de légumes de saison, assortiment du producteur", "2", "23.4500")
    )
    ledger.record_payment(
        account=account,
        amount=20_00,
        mode="cash",
        idempotency_key=key(),
        actor=None,
        apply_to=[invoice.charge],
    )
    issue_statement(account=account, actor=None, idempotency_key=key())
    account.refresh_from_db()
    return account


def _sign_in_by_email(page: Any, shop: Shop, email: str, label: str, button: str) -> None:
    page.goto(reverse("portal:home", args=[shop.slug]))
    with smtp_server() as sink:
        page.get_by_label(label).fill(email)
        page.get_by_role("button", name=button).click()
        page.wait_for_selector("[data-testid=link-sent]")
        run_worker()
    (message,) = sink.messages
    assert message["To"] == email
    page.goto(link_path(message.get_content()))
    page.get_by_test_id("sign-in-button").click()
    page.wait_for_selector("[data-testid=balance]")


@pytest.mark.parametrize(
    ("language", "size", "label", "button", "words", "amount", "spend"),
    [
        (
            "fr",
            PHONE,
            "Votre adresse e-mail",
            "M’envoyer un lien de connexion",
            "À régler",
            "26,90 €",
            "Vous pouvez encore dépenser 173,10 €",
        ),
        (
            "en",
            LAPTOP,
            "Your email address",
            "Email me a sign-in link",
            "Owed",
            "€26.90",
            "You can still spend €173.10",
        ),
        (
            "en",
            PHONE,
            "Your email address",
            "Email me a sign-in link",
            "Owed",
            "€26.90",
            "You can still spend €173.10",
        ),
        (
            "fr",
            LAPTOP,
            "Votre adresse e-mail",
            "M’envoyer un lien de connexion",
            "À régler",
            "26,90 €",
            "Vous pouvez encore dépenser 173,10 €",
        ),
    ],
)
def test_a_customer_signs_in_from_the_email_and_reads_balance_and_history(
    chromium: Any,
    live_server: Any,
    language: str,
    size: dict[str, int],
    label: str,
    button: str,
    words: str,
    amount: str,
    spend: str,
) -> None:
    shop = portal_shop(name="Épicerie fine des Trois Chênes et Fils")
    account = _customer(shop, language)
    # The browser's own language (the customer has none set until they sign in).
    context = chromium.new_context(
        base_url=live_server.url,
        locale="fr-FR" if language == "fr" else "en-GB",
        viewport=size,
        bypass_csp=True,
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    name = f"portal-{language}-{size['width']}"
    try:
        _play(page, shop, account, language, size, name, label, button, words, amount, spend)
    finally:
        context.close()


def _play(
    page: Any,
    shop: Shop,
    account: Account,
    language: str,
    size: dict[str, int],
    name: str,
    label: str,
    button: str,
    words: str,
    amount: str,
    spend: str,
) -> None:

    page.goto(reverse("portal:sign_in", args=[shop.slug]))
    assert page.locator("html").get_attribute("lang") == language
    assert _overflow(page) <= 0
    _shot(page, f"{name}-sign-in")
    _sign_in_by_email(page, shop, "claire@example.com", label, button)

    balance = page.get_by_test_id("balance")
    assert squash(page.get_by_test_id("balance-words").inner_text()) == words
    assert squash(page.get_by_test_id("balance-amount").inner_text()) == amount
    assert squash(page.get_by_test_id("spendable").inner_text()) == spend
    box = balance.bounding_box()
    assert box is not None
    assert box["y"] < 140  # at the top
    bar = page.locator(".portal-bar").bounding_box()
    assert bar is not None
    assert box["x"] + box["width"] >= bar["x"] + bar["width"] - 20  # on the right
    assert box["x"] > bar["x"] + bar["width"] / 2 or size["width"] < 500
    assert _overflow(page) <= 0
    _shot(page, f"{name}-home")

    page.locator(".portal-nav").get_by_role(
        "link", name="Historique" if language == "fr" else "History"
    ).click()
    rows = page.locator("[data-testid=history] tr.movement")
    assert rows.count() == 2
    assert squash(page.get_by_test_id("closing-balance").inner_text()) == (
        "-26,90 €" if language == "fr" else "-€26.90"
    )
    assert _overflow(page) <= 0
    _shot(page, f"{name}-history")

    page.locator(
        "[data-testid=history] a", has_text="Facture" if language == "fr" else "Invoice"
    ).first.click()
    assert page.locator("[data-number]").count() == 1
    assert _overflow(page) <= 0
    _shot(page, f"{name}-invoice")
    page.go_back()
    page.locator(
        "[data-testid=history] a", has_text="Reçu" if language == "fr" else "Receipt"
    ).first.click()
    assert squash(page.locator("[data-amount]").inner_text()) in {"20,00 €", "€20.00"}
    _shot(page, f"{name}-receipt")

    for nav in ("portal:statements", "portal:settings"):
        page.goto(reverse(nav, args=[shop.slug]))
        assert _overflow(page) <= 0, nav
        _shot(page, f"{name}-{nav.split(':')[1]}")
    assert account.customer.email == "claire@example.com"


def test_the_keyboard_reaches_the_skip_link_first(page: Any) -> None:
    shop = portal_shop()
    page.goto(reverse("portal:sign_in", args=[shop.slug]))
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
