"""Invoicing: the catalogue, orders and their lines, and invoices.

An order is what a customer asks for. While it is not delivered it is not in the customer's
account: no charge, no number. Delivering it issues the invoice (the next number of the shop's
year, `2026-000123`, gap-free because the counter row is locked and bumped in the same transaction
as the posting) and posts the charge through `ledger.services.post_charge`, with the invoice
number as the charge's reference. Cancelling an undelivered order leaves no trace in the account.

Amounts: line prices are Decimals (weighed goods have up to 4 decimals per unit); each line's
amount (VAT included) is rounded once to minor units and stored; the document's total per VAT
rate is the sum of its lines, the VAT of a rate is rounded once from that total, and net, VAT and
total are stored and never re-derived. An issued invoice is never edited: it is refunded by credit
notes (ledger) or its charge is reversed.

How an invoice was settled (`Settlement`) lives in `payments`, which records that money.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ardoise.core.money import MAX_AMOUNT
from ardoise.invoicing.totals import MAX_QUANTITY, MAX_UNIT_PRICE, MAX_VAT_RATE
from ardoise.ledger.models import within_bounds

# The database refuses a price, quantity, rate or amount outside the bounds of
# `invoicing.totals` (and a float stored as an amount on SQLite), whatever path wrote it.
PRICE_BOUNDED = Q(unit_price__gte=0, unit_price__lt=MAX_UNIT_PRICE)
RATE_BOUNDED = Q(vat_rate__gte=0, vat_rate__lt=MAX_VAT_RATE)
# A document's total, net and VAT: whole numbers below MAX_AMOUNT.
DOCUMENT_BOUNDED = (
    within_bounds("total", MAX_AMOUNT)
    & within_bounds("net_amount", MAX_AMOUNT, signed=True)
    & within_bounds("vat_amount", MAX_AMOUNT, signed=True)
)


class Unit(models.TextChoices):
    PIECE = "piece", _("piece")
    KILOGRAM = "kg", _("kg")
    GRAM = "g", _("g")
    LITRE = "l", _("litre")
    CRATE = "crate", _("crate")
    BUNCH = "bunch", _("bunch")
    DOZEN = "dozen", _("dozen")
    BOX = "box", _("box")


VAT_RATES = [Decimal("0"), Decimal("2.1"), Decimal("5.5"), Decimal("10"), Decimal("20")]


class ProductQuerySet(models.QuerySet["Product"]):
    def for_shop(self, shop_id: int) -> "ProductQuerySet":
        return self.filter(shop_id=shop_id)

    def active(self) -> "ProductQuerySet":
        return self.filter(is_archived=False)


class Product(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    unit = models.CharField(_("unit"), max_length=10, choices=Unit.choices, default=Unit.PIECE)
    unit_price = models.DecimalField(_("unit price including VAT"), max_digits=12, decimal_places=4)
    vat_rate = models.DecimalField(_("VAT rate (%)"), max_digits=5, decimal_places=2)
    is_archived = models.BooleanField(_("archived"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProductQuerySet.as_manager()

    class Meta:
        db_table = "invoicing_product"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "name"],
                condition=Q(is_archived=False),
                name="invoicing_product_unique_active_name",
            ),
            models.CheckConstraint(
                condition=Q(unit_price__gte=0), name="invoicing_product_price_not_negative"
            ),
            models.CheckConstraint(
                condition=PRICE_BOUNDED & RATE_BOUNDED, name="invoicing_product_bounded"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OrderStatus(models.TextChoices):
    OPEN = "open", pgettext_lazy("order status", "Not delivered")
    DELIVERED = "delivered", pgettext_lazy("order status", "Delivered")
    CANCELLED = "cancelled", pgettext_lazy("order status", "Cancelled")


class OrderChannel(models.TextChoices):
    COUNTER = "counter", pgettext_lazy("order channel", "Counter")
    PORTAL = "portal", pgettext_lazy("order channel", "Portal")
    API = "api", pgettext_lazy("order channel", "API")


class OrderPaymentState(models.TextChoices):
    """How an online order is being paid (`payments.orders` moves it); "none" at the counter."""

    NONE = "none", pgettext_lazy("order payment", "None")
    AWAITING = "awaiting_payment", pgettext_lazy("order payment", "Awaiting payment")
    PAID = "paid", pgettext_lazy("order payment", "Paid online")
    ACCOUNT = "account", pgettext_lazy("order payment", "Deducted from the account")


class OrderQuerySet(models.QuerySet["Order"]):
    def for_shop(self, shop_id: int) -> "OrderQuerySet":
        return self.filter(shop_id=shop_id)

    def online_to_prepare(self) -> "OrderQuerySet":
        """Online orders accepted (paid, or deducted from the account) and not delivered yet:
        the new orders the shop is told of."""
        return self.filter(
            status=OrderStatus.OPEN,
            payment_state__in=[OrderPaymentState.PAID, OrderPaymentState.ACCOUNT],
        ).exclude(channel=OrderChannel.COUNTER)


class Order(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="orders"
    )
    account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=OrderStatus.choices, default=OrderStatus.OPEN)
    channel = models.CharField(
        max_length=10, choices=OrderChannel.choices, default=OrderChannel.COUNTER
    )
    payment_state = models.CharField(
        max_length=20, choices=OrderPaymentState.choices, default=OrderPaymentState.NONE
    )
    ordered_on = models.DateField()
    note = models.CharField(_("note"), max_length=200, blank=True)
    net_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField()
    total = models.BigIntegerField()
    idempotency_key = models.CharField(max_length=120)
    delivery_key = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=200, blank=True)
    # When the shop was emailed about this online order (claimed by the task that sends it).
    shop_notified_at = models.DateTimeField(null=True, blank=True)

    objects = OrderQuerySet.as_manager()

    class Meta:
        db_table = "invoicing_order"
        ordering = ["-ordered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "idempotency_key"], name="invoicing_order_unique_key"
            ),
            models.CheckConstraint(
                condition=Q(total=models.F("net_amount") + models.F("vat_amount")),
                name="invoicing_order_totals",
            ),
            models.CheckConstraint(condition=Q(total__gt=0), name="invoicing_order_total_positive"),
            models.CheckConstraint(condition=DOCUMENT_BOUNDED, name="invoicing_order_bounded"),
        ]
        indexes = [
            models.Index(fields=["shop", "status", "ordered_on"], name="order_shop_status"),
            models.Index(
                fields=["shop", "channel", "created_at"],
                condition=~Q(channel="counter"),
                name="order_shop_online",
            ),
        ]

    def __str__(self) -> str:
        return f"Order {self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status == OrderStatus.OPEN

    @property
    def reservation_reference(self) -> str:
        """What an online order holds on the account is reserved under this reference, which
        is also its charge's earmark: delivery consumes it, cancelling releases it."""
        return f"order:{self.pk}"

    @property
    def is_online(self) -> bool:
        return self.channel != OrderChannel.COUNTER


class OrderLine(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="lines")
    position = models.PositiveSmallIntegerField()
    product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    description = models.CharField(max_length=200)
    unit = models.CharField(max_length=10, choices=Unit.choices, default=Unit.PIECE)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.DecimalField(max_digits=12, decimal_places=4)
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2)
    amount = models.BigIntegerField()  # quantity x unit price, VAT included, rounded once

    class Meta:
        db_table = "invoicing_order_line"
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "order", "position"], name="invoicing_line_unique_position"
            ),
            models.CheckConstraint(
                condition=Q(quantity__gt=0, quantity__lt=MAX_QUANTITY)
                & PRICE_BOUNDED
                & RATE_BOUNDED
                & Q(amount__gte=0)
                & within_bounds("amount", MAX_AMOUNT),
                name="invoicing_line_bounded",
            ),
        ]

    def __str__(self) -> str:
        return self.description


class OrderVat(models.Model):
    """One VAT rate of a document: its total, VAT (rounded once) and net."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="vat_lines")
    rate = models.DecimalField(max_digits=5, decimal_places=2)
    net_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField()
    total = models.BigIntegerField()

    class Meta:
        db_table = "invoicing_order_vat"
        ordering = ["rate"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "order", "rate"], name="invoicing_vat_unique"),
            models.CheckConstraint(
                condition=Q(rate__gte=0, rate__lt=MAX_VAT_RATE)
                & Q(total__gte=0)
                & DOCUMENT_BOUNDED,
                name="invoicing_vat_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rate} %"


class InvoiceCounter(models.Model):
    """The last invoice number of a shop's year, locked and bumped when an invoice is issued."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "invoicing_counter"
        constraints = [
            models.UniqueConstraint(fields=["shop", "year"], name="invoicing_counter_unique_year"),
        ]

    def __str__(self) -> str:
        return f"{self.year}: {self.last_number}"


class InvoiceQuerySet(models.QuerySet["Invoice"]):
    def for_shop(self, shop_id: int) -> "InvoiceQuerySet":
        return self.filter(shop_id=shop_id)


class Invoice(models.Model):
    """An issued invoice: numbered, with the seller's and the buyer's identity as printed."""

    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice")
    charge = models.OneToOneField("ledger.Charge", on_delete=models.PROTECT, related_name="invoice")
    number = models.CharField(max_length=20)
    year = models.PositiveSmallIntegerField()
    sequence = models.PositiveIntegerField()
    issued_on = models.DateField()
    due_on = models.DateField()
    net_amount = models.BigIntegerField()
    vat_amount = models.BigIntegerField()
    total = models.BigIntegerField()
    seller_name = models.CharField(max_length=200)
    seller_address = models.TextField(blank=True)
    seller_siret = models.CharField(max_length=14, blank=True)
    seller_vat_number = models.CharField(max_length=20, blank=True)
    buyer_name = models.CharField(max_length=200)
    buyer_address = models.TextField(blank=True)
    payment_terms_days = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = InvoiceQuerySet.as_manager()

    class Meta:
        db_table = "invoicing_invoice"
        ordering = ["-issued_on", "-sequence"]
        constraints = [
            models.UniqueConstraint(fields=["shop", "number"], name="invoicing_invoice_number"),
            models.UniqueConstraint(
                fields=["shop", "year", "sequence"], name="invoicing_invoice_sequence"
            ),
            models.CheckConstraint(condition=DOCUMENT_BOUNDED, name="invoicing_invoice_bounded"),
        ]
        indexes = [models.Index(fields=["shop", "issued_on"], name="invoice_shop_issued")]

    def __str__(self) -> str:
        return self.number


def format_invoice_number(year: int, sequence: int) -> str:
    return f"{year}-{sequence:06d}"
