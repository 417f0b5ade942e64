"""Rows of the domain as the API's response bodies (amounts as strings in the currency's unit)."""

from typing import Any

from django.db import connection
from django.urls import reverse

from ardoise.api.money import amount_text, optional_amount_text
from ardoise.api.schemas import (
    AccountOut,
    ChargeOut,
    CreditOut,
    CustomerOut,
    OrderLineOut,
    OrderOut,
    StatementOut,
    dump,
)
from ardoise.customers.models import Customer
from ardoise.invoicing.models import Invoice, Order
from ardoise.ledger.models import Account, Charge, Credit
from ardoise.statements.models import Statement


def customer(row: Customer) -> dict[str, Any]:
    return dump(
        CustomerOut(
            id=row.pk,
            name=row.name,
            company=row.company,
            email=row.email,
            phone=row.phone,
            reference=row.reference,
            language=row.language,
            is_archived=row.is_archived,
            created_at=row.created_at,
        )
    )


def account(row: Account) -> dict[str, Any]:
    currency = row.currency
    return dump(
        AccountOut(
            customer_id=row.customer_id,
            currency=currency,
            balance=amount_text(row.balance, currency),
            debt=amount_text(row.debt, currency),
            deposit=amount_text(row.deposit, currency),
            credit_limit=optional_amount_text(row.credit_limit, currency),
            available_credit=optional_amount_text(row.available_credit, currency),
            is_over_limit=row.is_over_limit,
        )
    )


# The account's posting of the charge's entry (there is one), for a charge read back rather than
# just posted: a written statement.
_BALANCE_AFTER = (
    "SELECT balance_after FROM ledger_posting WHERE entry_id = %s AND account_id = %s "
    "ORDER BY id LIMIT 1"
)


def charge(row: Charge, currency: str, customer_id: int) -> dict[str, Any]:
    balance_after = row.balance_after  # known when the charge was just posted
    if balance_after is None:
        with connection.cursor() as cursor:
            cursor.execute(_BALANCE_AFTER, [row.entry_id, row.account_id])
            found = cursor.fetchone()
        balance_after = found[0] if found else None
    return dump(
        ChargeOut(
            id=row.pk,
            customer_id=customer_id,
            kind=row.kind,
            status=row.status,
            reference=row.reference,
            issued_on=row.issued_on,
            due_on=row.due_on,
            currency=currency,
            total=amount_text(row.total, currency),
            vat_amount=amount_text(row.vat_amount, currency),
            open_amount=amount_text(row.open_amount, currency),
            balance_after=amount_text(balance_after or 0, currency),
        )
    )


def credit(row: Credit, currency: str, customer_id: int) -> dict[str, Any]:
    return dump(
        CreditOut(
            id=row.pk,
            customer_id=customer_id,
            kind=row.kind,
            status=row.status,
            mode=row.mode,
            reference=row.reference,
            received_on=row.received_on,
            currency=currency,
            amount=amount_text(row.amount, currency),
            unapplied_amount=amount_text(row.unapplied_amount, currency),
            payout_amount=amount_text(row.payout_amount, currency),
            payout_mode=row.payout_mode,
            charge_id=row.against_charge_id,
        )
    )


def order(row: Order) -> dict[str, Any]:
    currency = row.account.currency
    invoice = Invoice.objects.filter(order=row).only("number", "charge_id").first()
    lines = [
        OrderLineOut(
            position=line.position,
            description=line.description,
            unit=line.unit,
            quantity=format(line.quantity.normalize(), "f"),
            unit_price=format(line.unit_price.normalize(), "f"),
            vat_rate=format(line.vat_rate.normalize(), "f"),
            amount=amount_text(line.amount, currency),
        )
        for line in row.lines.order_by("position")
    ]
    return dump(
        OrderOut(
            id=row.pk,
            customer_id=row.customer_id,
            status=row.status,
            ordered_on=row.ordered_on,
            note=row.note,
            currency=currency,
            net_amount=amount_text(row.net_amount, currency),
            vat_amount=amount_text(row.vat_amount, currency),
            total=amount_text(row.total, currency),
            lines=lines,
            invoice_number=invoice.number if invoice else None,
            charge_id=invoice.charge_id if invoice else None,
        )
    )


def statement(row: Statement) -> dict[str, Any]:
    currency = row.currency
    return dump(
        StatementOut(
            id=row.pk,
            number=row.number,
            customer_id=row.customer_id,
            issued_at=row.issued_at,
            currency=currency,
            total_charges=amount_text(row.total_charges, currency),
            total_credits=amount_text(row.total_credits, currency),
            balance=amount_text(row.balance, currency),
            amount_due=amount_text(row.amount_due, currency),
            pdf_url=reverse("api-v1:statement_pdf", args=[row.pk]),
        )
    )
