"""End to end in Chromium on a phone (390 px), in French: a customer signs in from the email a
real SMTP server received, orders 20 € from the catalogue with a balance of +5 €, −5 € and
+50 €, sees the amount to pay after the balance (15 €, 25 €, nothing), pays with the test
provider or gets the order accepted at once, deducted from the account, and reads what they can
still spend before delivery and their balance after it (0 €, 0 €, +30 €); then tops up 25 €.
No page scrolls sideways."""

from typing import Any

import pytest
from django.urls import reverse

from ardoise.invoicing.models import Order
from tests.browser.test_portal import PHONE, _overflow, _shot, _sign_in_by_email
from tests.payments.orders_support import account_with_balance, deliver, ordering_shop, product
from tests.statements.support import squash

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LABEL, BUTTON = "Votre adresse e-mail", "M’envoyer un lien de connexion"


def _phone(chromium: Any, live_server: Any) -> Any:
    context = chromium.new_context(
        base_url=live_server.url, locale="fr-FR", viewport=PHONE, bypass_csp=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return context, page


def _header(page: Any) -> tuple[str, str, str]:
    return (
        squash(page.get_by_test_id("balance-amount").inner_text()),
        squash(page.get_by_test_id("balance-words").inner_text()),
        squash(page.get_by_test_id("spendable").inner_text()),
    )


@pytest.mark.parametrize(
    ("balance", "to_pay", "before_delivery", "after_delivery"),
    [
        (5_00, "15,00 €", "0,00 €", ("0,00 €", "Rien à régler")),
        (-5_00, "25,00 €", "0,00 €", ("0,00 €", "Rien à régler")),
        (50_00, "0,00 €", "30,00 €", ("30,00 €", "En votre faveur")),
    ],
)
def test_twenty_euros_ordered_from_the_portal_on_a_phone(
    chromium: Any,
    live_server: Any,
    balance: int,
    to_pay: str,
    before_delivery: str,
    after_delivery: tuple[str, str],
) -> None:
    shop = ordering_shop(name="Ferme des Quatre Saisons")
    product(shop, "10.00", name="Panier de légumes")
    product(shop, "4.5000", name="Fromage de chèvre")
    account = account_with_balance(shop, balance, language="fr")
    context, page = _phone(chromium, live_server)
    name = f"order-{balance}"
    try:
        _sign_in_by_email(page, shop, "claire@example.com", LABEL, BUTTON)
        page.locator(".portal-nav").get_by_role("link", name="Commander").click()
        page.get_by_label("Panier de légumes").fill("2")
        assert _overflow(page) <= 0
        _shot(page, f"{name}-catalogue")
        page.get_by_role("button", name="Voir le montant à régler").click()

        assert squash(page.get_by_test_id("order-total").inner_text()) == "20,00 €"
        assert squash(page.get_by_test_id("to-pay").inner_text()) == to_pay
        assert _overflow(page) <= 0
        _shot(page, f"{name}-review")
        if balance >= 20_00:
            assert page.get_by_test_id("covered").is_visible()
            page.get_by_role("button", name="Confirmer la commande").click()
            page.wait_for_selector("[data-testid=order-accepted]")
            assert "Déduit du compte client" in squash(
                page.get_by_test_id("order-state").inner_text()
            )
        else:
            page.get_by_role("button", name=f"Confirmer et payer {to_pay}").click()
            assert squash(page.get_by_test_id("checkout-amount").inner_text()) == to_pay
            assert _overflow(page) <= 0
            page.get_by_role("button", name="Accepter le paiement").click()
            page.wait_for_selector("[data-testid=order-paid]")
            assert "Payée en ligne" in squash(page.get_by_test_id("order-state").inner_text())
        # Before delivery, what can still be spent already says what is left.
        assert _header(page)[2] == f"Vous pouvez encore dépenser {before_delivery}"
        assert squash(page.get_by_test_id("order-held").inner_text()) == "20,00 €"
        assert _overflow(page) <= 0
        _shot(page, f"{name}-order")

        deliver(Order.objects.get(account=account))
        page.goto(reverse("portal:orders", args=[shop.slug]))
        assert "Livrée" in squash(page.get_by_test_id("orders").inner_text())
        assert _header(page) == (
            *after_delivery,
            f"Vous pouvez encore dépenser {after_delivery[0]}",
        )
        assert _overflow(page) <= 0
        _shot(page, f"{name}-delivered")
    finally:
        context.close()


def test_a_top_up_with_the_test_provider_on_a_phone(chromium: Any, live_server: Any) -> None:
    shop = ordering_shop(name="Ferme des Quatre Saisons", top_up_minimum=10_00)
    account_with_balance(shop, 0, language="fr")
    context, page = _phone(chromium, live_server)
    try:
        _sign_in_by_email(page, shop, "claire@example.com", LABEL, BUTTON)
        page.locator(".portal-nav").get_by_role("link", name="Recharger").click()
        page.get_by_label("Montant").fill("5")
        page.get_by_role("button", name="Payer en ligne").click()
        assert "Un rechargement doit être compris entre 10,00 € et 100 000,00 €." in squash(
            page.locator("main").inner_text()
        )
        page.get_by_label("Montant").fill("25")
        page.get_by_role("button", name="Payer en ligne").click()
        assert squash(page.get_by_test_id("checkout-amount").inner_text()) == "25,00 €"
        page.get_by_role("button", name="Accepter le paiement").click()
        page.wait_for_selector("[data-testid=payment-received]")

        assert _header(page) == (
            "25,00 €",
            "En votre faveur",
            "Vous pouvez encore dépenser 25,00 €",
        )
        assert _overflow(page) <= 0
        _shot(page, "top-up-done")
        page.locator(".portal-nav").get_by_role("link", name="Historique").click()
        assert "Rechargement payé en ligne" in squash(page.get_by_test_id("history").inner_text())
    finally:
        context.close()
