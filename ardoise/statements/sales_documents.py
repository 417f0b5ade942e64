"""A customer's documents besides statements: the invoice (print and PDF), the sale receipt and
the receipt of a payment or a top-up.

Shared by the back office (`staff.sales`) and the customer portal, so that both print the same
document from the same figures; templates under `documents/`. Each context reads the account's
balance at the time of printing.
"""

from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from ardoise.customers.models import Customer
from ardoise.invoicing import selectors
from ardoise.ledger.models import Allocation, Charge, Credit, CreditKind, JournalEntry
from ardoise.payments import selectors as payment_selectors
from ardoise.payments.models import PaymentMode
from ardoise.shops.models import Shop

ACCOUNT = "account"
# What a receipt is printed for: money handed over at the counter without an invoice.
RECEIPT_KINDS = {CreditKind.PAYMENT, CreditKind.TOP_UP}


def mode_labels(shop_id: int) -> dict[str, str]:
    labels = {mode.code: str(mode.label) for mode in PaymentMode.objects.for_shop(shop_id)}
    return labels | {ACCOUNT: labels.get(ACCOUNT, _("Customer account"))}


def document_context(shop: Shop, charge: Charge) -> dict[str, Any]:
    """What the charge page, the printed invoice, the PDF and the receipts show."""
    invoice = selectors.invoice_for_charge(shop.pk, charge.pk)
    account = charge.account
    account.refresh_from_db(fields=["balance", "debt", "deposit"])
    settlements = payment_selectors.settlements_for_invoice(invoice) if invoice else []
    return {
        "charge": charge,
        "invoice": invoice,
        "order": invoice.order if invoice else None,
        "lines": list(invoice.order.lines.all()) if invoice else [],
        "vat_lines": list(invoice.order.vat_lines.all()) if invoice else [],
        "customer": account.customer,
        "account": account,
        "settlements": settlements,
        "received": [row for row in settlements if row.is_active and row.credit_id],
        "labels": mode_labels(shop.pk),
        "printed_at": timezone.now(),
        "shop": shop,
    }


def credit_context(shop: Shop, credit: Credit) -> dict[str, Any]:
    """What the credit page and its receipt show: the balance right after it, not only now."""
    account = credit.account
    account.refresh_from_db(fields=["balance", "debt", "deposit"])
    posting = credit.entry.postings.filter(account_id=account.pk).first()
    reversal = JournalEntry.objects.filter(reverses=credit.entry).first()
    allocations = (
        Allocation.objects.filter(shop_id=shop.pk, credit=credit)
        .select_related("charge")
        .order_by("created_at", "id")
    )
    return {
        "credit": credit,
        "account": account,
        "customer": account.customer,
        "balance_after": posting.balance_after if posting else None,
        "reversal": reversal,
        "allocations": allocations,
        "labels": mode_labels(shop.pk),
        "has_receipt": credit.kind in RECEIPT_KINDS,
        "printed_at": timezone.now(),
        "shop": shop,
    }


def customer_language(customer: Customer) -> translation.override:
    """A customer's documents speak the customer's language when it is set; otherwise the
    language of whoever prints them (the cashier who hands them over, the customer reading)."""
    return translation.override(customer.language or translation.get_language())


def invoice_pdf(context: dict[str, Any], *, base_url: str) -> tuple[bytes, str]:
    """The invoice of `document_context` as a PDF, and its file name. Outside any transaction."""
    from weasyprint import HTML

    with customer_language(context["customer"]):
        html = render_to_string("documents/invoice_pdf.html", context)
    pdf = HTML(string=html, base_url=base_url).write_pdf()
    charge = context["charge"]
    name = (context["invoice"].number if context["invoice"] else charge.reference) or charge.pk
    return bytes(pdf or b""), f"{name}.pdf"
