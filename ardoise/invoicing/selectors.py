"""Reads of invoicing, always scoped to a shop."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_stubs_ext import StrOrPromise

from ardoise.customers.models import Customer, search_condition
from ardoise.invoicing.models import (
    Invoice,
    Order,
    OrderChannel,
    OrderPaymentState,
    OrderStatus,
    Product,
)
from ardoise.ledger.models import ChargeStatus
from ardoise.shops.models import Shop


def orders_for_shop(shop_id: int, *, status: str = "") -> QuerySet[Order]:
    orders = Order.objects.for_shop(shop_id).select_related(
        "customer", "invoice", "invoice__charge"
    )
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.order_by("-ordered_on", "-id")


_DELIVERED = Q(status=OrderStatus.DELIVERED)
_REFUNDED = Q(invoice__charge__credited_amount=F("invoice__charge__total"))

# The Sales list's status filter: where an order stands, and for a delivered one its invoice.
# A fully refunded invoice is not "paid" (its money went back), it is listed with the void ones.
SALE_STATUSES: dict[str, tuple[StrOrPromise, Q]] = {
    "not_delivered": (pgettext_lazy("order status", "Not delivered"), Q(status=OrderStatus.OPEN)),
    "open": (
        pgettext_lazy("charge status", "Pending"),
        _DELIVERED & Q(invoice__charge__status=ChargeStatus.OPEN) & ~_REFUNDED,
    ),
    "partially_paid": (
        pgettext_lazy("charge status", "Partially paid"),
        _DELIVERED & Q(invoice__charge__status=ChargeStatus.PARTIALLY_PAID) & ~_REFUNDED,
    ),
    "paid": (
        pgettext_lazy("charge status", "Paid"),
        _DELIVERED & Q(invoice__charge__status=ChargeStatus.PAID) & ~_REFUNDED,
    ),
    "void": (
        _("Void or refunded"),
        _DELIVERED & (Q(invoice__charge__status=ChargeStatus.VOID) | _REFUNDED),
    ),
    "cancelled": (pgettext_lazy("order status", "Cancelled"), Q(status=OrderStatus.CANCELLED)),
    # Online orders not delivered, by where their payment stands.
    "online_awaiting_payment": (
        _("Online, awaiting payment"),
        Q(status=OrderStatus.OPEN, payment_state=OrderPaymentState.AWAITING),
    ),
    "online_to_prepare": (
        _("Online, to prepare (paid or deducted from the account)"),
        Q(
            status=OrderStatus.OPEN,
            payment_state__in=[OrderPaymentState.PAID, OrderPaymentState.ACCOUNT],
        )
        & ~Q(channel=OrderChannel.COUNTER),
    ),
}


def online_orders_to_prepare(shop_id: int) -> int:
    """How many online orders were accepted and wait to be delivered (the menu's count)."""
    return Order.objects.for_shop(shop_id).online_to_prepare().count()


@dataclass(frozen=True)
class SaleQuery:
    """What the Sales list was asked for: a customer's name or an invoice number, a status,
    and the days the orders were taken (both ends included)."""

    search: str = ""
    status: str = ""
    start: dt.date | None = None
    end: dt.date | None = None


def sales_for_shop(shop_id: int, query: SaleQuery) -> QuerySet[Order]:
    """The Sales list, newest first: one query for a page and one for the count, whatever the
    page size. The name is searched through `search_text` (accents and case ignored)."""
    orders = orders_for_shop(shop_id)
    text = query.search.strip()
    if text:
        orders = orders.filter(
            search_condition(text, prefix="customer__") | Q(invoice__number__icontains=text)
        )
    if query.status in SALE_STATUSES:
        orders = orders.filter(SALE_STATUSES[query.status][1])
    if query.start is not None:
        orders = orders.filter(ordered_on__gte=query.start)
    if query.end is not None:
        orders = orders.filter(ordered_on__lte=query.end)
    return orders


def recent_orders_for_customer(shop_id: int, customer_id: int, limit: int = 10) -> list[Order]:
    return list(orders_for_shop(shop_id).filter(customer_id=customer_id)[:limit])


def products_for_shop(shop_id: int, *, include_archived: bool = False) -> QuerySet[Product]:
    products = Product.objects.for_shop(shop_id)
    return products if include_archived else products.active()


def invoice_for_charge(shop_id: int, charge_id: int) -> Invoice | None:
    return (
        Invoice.objects.for_shop(shop_id)
        .select_related("order")
        .filter(charge_id=charge_id)
        .first()
    )


# --- Who a sale is for: the counter's customer search -------------------------------------------

SALE_CUSTOMER_MATCHES = 10


@dataclass(frozen=True)
class SaleCustomer:
    """A customer as the counter sees one: who, and what the account may still take."""

    pk: int
    name: str
    company: str
    balance: int
    credit_limit: int | None
    reserved: int = 0  # held for online orders and checkouts: not spendable at the counter

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.company})" if self.company else self.name

    @property
    def available_credit(self) -> int | None:
        """Balance plus limit, less what reservations hold, never below zero (what a sale on
        account may still charge: the limit's guard counts the holds too); None when the account
        has no limit. The same figure as `Account.available_credit`."""
        if self.credit_limit is None:
            return None
        return max(self.balance + self.credit_limit - self.reserved, 0)


def _sale_customers(shop: Shop) -> QuerySet[Customer]:
    return (
        Customer.objects.for_shop(shop.pk)
        .filter(is_archived=False)
        .annotate(
            account=FilteredRelation(
                "accounts",
                condition=Q(accounts__shop_id=shop.pk, accounts__currency=shop.currency),
            )
        )
        .annotate(
            balance=F("account__balance"),
            credit_limit=F("account__credit_limit"),
            reserved=F("account__reserved"),
            has_account=F("account__id"),
        )
    )


def _sale_customer(shop: Shop, row: Customer) -> SaleCustomer:
    has_account = getattr(row, "has_account", None) is not None
    return SaleCustomer(
        pk=row.pk,
        name=row.name,
        company=row.company,
        balance=getattr(row, "balance", None) or 0,
        reserved=getattr(row, "reserved", None) or 0,
        # A customer from before accounts existed gets one with the shop's default limit.
        credit_limit=getattr(row, "credit_limit", None)
        if has_account
        else shop.default_credit_limit,
    )


def customers_for_sale(shop: Shop, text: str) -> list[SaleCustomer]:
    """The first customers (not archived) whose name, company, email or phone holds every word
    of `text`, accents and case ignored, in alphabetical order as French reads it ("Émile"
    among the E, not after "Zoé"): ordered by the normalised `search_text`, which starts with
    the name. One query."""
    if not text.strip():
        return []
    rows = (
        _sale_customers(shop)
        .filter(search_condition(text))
        .order_by("search_text", "id")[:SALE_CUSTOMER_MATCHES]
    )
    return [_sale_customer(shop, row) for row in rows]


def customer_for_sale(shop: Shop, customer_id: int) -> SaleCustomer | None:
    row = _sale_customers(shop).filter(pk=customer_id).first()
    return None if row is None else _sale_customer(shop, row)
