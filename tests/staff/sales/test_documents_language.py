"""A customer's documents speak the customer's language when it is set, whoever prints them."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice

pytestmark = pytest.mark.django_db


def _speaks(invoice: Invoice, language: str) -> None:
    Customer.objects.filter(pk=invoice.charge.account.customer_id).update(language=language)


def test_an_english_customers_invoice_is_in_english_for_a_french_cashier(
    owner_client: Client, invoice: Invoice
) -> None:
    owner = owner_client.get(reverse("staff:home")).wsgi_request.user
    owner.language = "fr"
    owner.save(update_fields=["language"])
    _speaks(invoice, "en")

    printed = owner_client.get(reverse("staff:invoice_print", args=[invoice.charge_id]))
    receipt = owner_client.get(reverse("staff:receipt", args=[invoice.charge_id]))
    pdf = owner_client.get(reverse("staff:invoice_pdf", args=[invoice.charge_id]))

    assert '<html lang="en"' in printed.content.decode()
    assert "€60.00" in printed.content.decode()
    assert "€60.00" in receipt.content.decode()
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "€60.00" in text
    # The back office itself still speaks the cashier's language.
    page = owner_client.get(reverse("staff:charge_detail", args=[invoice.charge_id]))
    assert "60,00\u00a0€" in page.content.decode()


def test_a_french_customers_receipt_is_in_french_for_an_english_cashier(
    owner_client: Client, invoice: Invoice
) -> None:
    _speaks(invoice, "fr")

    receipt = owner_client.get(reverse("staff:receipt", args=[invoice.charge_id]))

    assert "60,00\u00a0€" in receipt.content.decode()


def test_without_a_language_the_document_follows_the_reader(
    owner_client: Client, invoice: Invoice
) -> None:
    _speaks(invoice, "")

    receipt = owner_client.get(reverse("staff:receipt", args=[invoice.charge_id]))

    assert "€60.00" in receipt.content.decode()
