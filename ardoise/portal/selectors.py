"""What the portal reads for the customer, computed in one place.

`balance_summary` feeds the header every portal page shows (top right): the balance in words and
colour, and what the customer can still spend: the ledger's figure (balance + credit limit −
what accepted orders and open checkouts hold, `ledger.selectors.spendable`).
"""

from dataclasses import dataclass

from django.db.models import QuerySet

from ardoise.invoicing.models import Order, OrderLine, Product
from ardoise.ledger.models import Account
from ardoise.ledger.selectors import spendable
from ardoise.ledger.services.reservations import held_for
from ardoise.payments.models import Checkout, CheckoutStatus


@dataclass(frozen=True)
class BalanceSummary:
    balance: int
    currency: str
    spendable: int | None  # None: no limit; clamped at 0
    reserved: int = 0  # what undelivered orders and open checkouts hold

    @property
    def in_favour(self) -> bool:
        return self.balance > 0

    @property
    def owed(self) -> bool:
        return self.balance < 0

    @property
    def amount(self) -> int:
        """The balance without its sign: the words say which way it goes."""
        return abs(self.balance)

    @property
    def state(self) -> str:
        return "favour" if self.in_favour else "owed" if self.owed else "zero"

    @property
    def spendable_shown(self) -> int | None:
        return None if self.spendable is None else max(self.spendable, 0)


def balance_summary(account: Account) -> BalanceSummary:
    return BalanceSummary(
        balance=account.balance,
        currency=account.currency,
        spendable=spendable(account),
        reserved=account.reserved,
    )


# --- Ordering -----------------------------------------------------------------------------------


def catalogue(shop_id: int) -> list[Product]:
    """What the customer can order: the shop's active products, by name."""
    return list(Product.objects.for_shop(shop_id).active().order_by("name", "id"))


def customer_orders(account: Account, *, limit: int = 50) -> QuerySet[Order]:
    """The customer's orders, newest first (every channel: the counter's too)."""
    return (
        Order.objects.filter(shop_id=account.shop_id, account_id=account.pk)
        .select_related("invoice")
        .order_by("-created_at", "-id")[:limit]
    )


def open_portal_order(account: Account) -> Order | None:
    """The customer's portal order not delivered yet, if any (the one-at-a-time rule)."""
    return (
        Order.objects.filter(
            shop_id=account.shop_id, account_id=account.pk, status="open", channel="portal"
        )
        .order_by("-id")
        .first()
    )


@dataclass(frozen=True)
class OrderMoney:
    """Where an order's money stands, for the customer: what it holds of their account now,
    and its latest checkout (the one to pay, or the one that was paid, declined, expired)."""

    held: int
    checkout: Checkout | None

    @property
    def paid_online(self) -> int:
        if self.checkout is not None and self.checkout.status == CheckoutStatus.APPROVED:
            return self.checkout.amount
        return 0

    @property
    def is_pending(self) -> bool:
        return self.checkout is not None and self.checkout.status == CheckoutStatus.PENDING


def order_money(order: Order) -> OrderMoney:
    held = held_for(account=order.account, reference=order.reservation_reference)
    checkout = Checkout.objects.filter(shop_id=order.shop_id, order=order).order_by("-id").first()
    return OrderMoney(held=held.amount if held is not None else 0, checkout=checkout)


def order_lines(order: Order) -> QuerySet[OrderLine]:
    return OrderLine.objects.filter(shop_id=order.shop_id, order=order).order_by("position", "id")
