"""Shared by the online order tests (services, races, portal pages, browser): a shop that takes
portal orders and online payment through the test provider, its catalogue, accounts with a
chosen balance, and the provider's confirmation of a checkout."""

from decimal import Decimal
from typing import Any

from ardoise.invoicing import services as invoicing
from ardoise.invoicing.models import Invoice, Order, Product
from ardoise.ledger import services as ledger
from ardoise.ledger.models import Account
from ardoise.payments.models import Checkout
from ardoise.payments.online import receive_confirmation
from ardoise.payments.orders import CartItem, OnlineOrder, place_online_order
from ardoise.payments.providers.test.provider import TestProvider
from ardoise.shops.models import Shop
from tests.factories import key, make_account, make_shop
from tests.statements.support import enable_online_payment

RETURN_URL = "http://testserver/back/"


def ordering_shop(**fields: Any) -> Shop:
    fields.setdefault("portal_enabled", True)
    fields.setdefault("ordering_open", True)
    shop = make_shop(**fields)
    enable_online_payment(shop)
    return shop


def product(shop: Shop, price: str = "20.00", name: str = "Panier de légumes") -> Product:
    return invoicing.create_product(
        shop_id=shop.pk,
        actor=None,
        name=name,
        unit="piece",
        unit_price=Decimal(price),
        vat_rate=Decimal("5.5"),
    )


def account_with_balance(
    shop: Shop, balance: int, *, credit_limit: int | None = 0, **customer: Any
) -> Account:
    """An account whose balance is `balance` (a top-up, or a sale on account), then given
    `credit_limit` (0 by default: a prepaid customer, no credit)."""
    customer.setdefault("email", "claire@example.com")
    customer.setdefault("name", "Claire Dubois")
    account = make_account(shop, credit_limit=None, **customer)
    if balance > 0:
        ledger.record_top_up(
            account=account, amount=balance, mode="transfer", idempotency_key=key(), actor=None
        )
    elif balance < 0:
        ledger.post_charge(
            account=account, total=-balance, idempotency_key=key(), actor=None, reference="F-0"
        )
    ledger.change_credit_limit(
        account=account, credit_limit=credit_limit, actor=None, idempotency_key=key()
    )
    account.refresh_from_db()
    return account


def order(account: Account, items: list[tuple[Product, str]], **fields: Any) -> OnlineOrder:
    fields.setdefault("idempotency_key", key())
    fields.setdefault("return_url", RETURN_URL)
    return place_online_order(
        account=account,
        items=[CartItem(product_id=p.pk, quantity=Decimal(q)) for p, q in items],
        **fields,
    )


def confirm(checkout: Checkout, *, approve: bool = True) -> str:
    """The test provider's confirmation of `checkout`, through the webhook's own path."""
    body, headers = TestProvider().make_confirmation(
        provider_checkout_id=checkout.provider_checkout_id,
        approve=approve,
        amount=checkout.amount,
        currency=checkout.currency,
    )
    event = receive_confirmation(provider_code=TestProvider.code, body=body, headers=headers)
    return event.outcome


def deliver(order_row: Order) -> Invoice:
    return invoicing.deliver_order(
        order=Order.objects.get(pk=order_row.pk), actor=None, idempotency_key=key()
    )


def figures(account: Account) -> dict[str, int | None]:
    """Balance, Debt, Deposit, reserved and what can still be spent, as stored now."""
    from ardoise.ledger.selectors import spendable

    account.refresh_from_db()
    return {
        "balance": account.balance,
        "debt": account.debt,
        "deposit": account.deposit,
        "reserved": account.reserved,
        "spendable": spendable(account),
    }
