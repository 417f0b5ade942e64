"""Reads of invoicing, always scoped to a shop."""

from django.db.models import QuerySet

from ardoise.invoicing.models import Invoice, Order, OrderStatus, Product


def orders_for_shop(shop_id: int, *, status: str = "") -> QuerySet[Order]:
    orders = Order.objects.for_shop(shop_id).select_related(
        "customer", "invoice", "invoice__charge"
    )
    if status in OrderStatus.values:
        orders = orders.filter(status=status)
    return orders.order_by("-ordered_on", "-id")


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
