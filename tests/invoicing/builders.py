"""Builders for invoicing tests: orders with lines, delivered invoices."""

from decimal import Decimal

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order
from ardoise.invoicing.totals import LineInput
from ardoise.ledger.models import Account
from tests.factories import key


def line(
    description: str, quantity: str, price: str, vat: str = "5.5", unit: str = "piece"
) -> LineInput:
    return LineInput(
        description=description,
        quantity=Decimal(quantity),
        unit_price=Decimal(price),
        vat_rate=Decimal(vat),
        unit=unit,
    )


def make_order(account: Account, *lines: LineInput) -> Order:
    return invoicing.create_order(
        account=account,
        lines=list(lines) or [line("Panier de légumes", "1", "60.00")],
        actor=None,
        idempotency_key=key(),
    )


def make_invoice(account: Account, *lines: LineInput) -> Invoice:
    order = make_order(account, *lines)
    return invoicing.deliver_order(order=order, actor=None, idempotency_key=key())
