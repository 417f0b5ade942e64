"""The documentation page speaks the reader's language; the schema it is drawn from stays in
English (what tools read)."""

import html
import re
from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def _page(client: Client, language: str) -> str:
    response = client.get("/api/v1/docs", headers={"Accept-Language": language})
    assert response.status_code == 200
    assert response["Content-Language"] == language
    # One line per text, entities decoded: the texts as the reader sees them.
    return html.unescape(re.sub(r"\s+", " ", response.content.decode()))


def _schema(client: Client, language: str) -> dict[str, Any]:
    response = client.get("/api/v1/openapi.json", headers={"Accept-Language": language})
    assert response.status_code == 200
    return dict(response.json())


FRENCH = [
    # a summary, a tag, the intro, a field's and a response's description, a parameter's
    "Débiter une vente sur le compte du client (dans la limite du plafond de crédit)",
    "Créer un client et son compte",
    "Commandes et relevés",
    "Les comptes clients en HTTP, pour les caisses, les boutiques en ligne et les comptables.",
    "Dépôt − Dette ; négatif quand le client doit de l'argent à la boutique.",
    "<code>404</code> Introuvable",
    "1 à 64 caractères ASCII imprimables, nouvelle clé à chaque nouvelle requête.",
]
ENGLISH = [
    "Charge a sale to the customer's account (within the credit limit)",
    "Create a customer and their account",
    "Orders and statements",
    "Customer accounts over HTTP, for tills, web shops and accountants.",
    "Deposit − Debt; negative when the customer owes the shop.",
    "<code>404</code> Not Found",
    "1 to 64 printable ASCII characters, new for each new request.",
]


def test_the_documentation_page_is_in_french_for_a_french_reader(client: Client) -> None:
    page = _page(client, "fr")

    for text in FRENCH:
        assert text in page
    for text in ENGLISH:
        assert text not in page


def test_the_documentation_page_is_in_english_for_an_english_reader(client: Client) -> None:
    page = _page(client, "en")

    for text in ENGLISH:
        assert text in page
    for text in FRENCH:
        assert text not in page


def test_the_intro_is_a_paragraph_and_points_with_its_html_escaped(client: Client) -> None:
    content = client.get("/api/v1/docs", headers={"Accept-Language": "en"}).content.decode()
    intro = content.split('<section class="intro">', 1)[1].split("</section>", 1)[0]

    assert "<pre" not in content
    assert intro.count("<p>") == 1
    assert intro.count("<li>") == 6
    # `<key>` is text, not a tag; what is in backquotes is code.
    assert "<code>Authorization: Bearer &lt;key&gt;</code>" in intro
    assert "<key>" not in intro


def test_the_schema_stays_in_english_whatever_the_language(client: Client) -> None:
    french = _schema(client, "fr")
    english = _schema(client, "en")

    assert french == english
    charge = french["paths"]["/api/v1/charges"]["post"]
    assert charge["summary"] == "Charge a sale to the customer's account (within the credit limit)"
    assert charge["tags"] == ["money"]
    assert charge["responses"]["404"]["description"] == "Not Found"
    assert french["info"]["description"].startswith(
        "Customer accounts over HTTP, for tills, web shops and accountants.\n\n* Authentication: "
    )
    balance = french["components"]["schemas"]["AccountOut"]["properties"]["balance"]
    assert balance["description"] == "Deposit − Debt; negative when the customer owes the shop."
