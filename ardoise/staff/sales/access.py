"""Access helpers of the sales area: an object of the current shop or 404, the permission or 403."""

from django.http import Http404

from ardoise.invoicing.models import Invoice, Order, Product
from ardoise.ledger.models import Credit
from ardoise.payments.models import Settlement
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission
from ardoise.staff.access import require


def get_order_for_member(
    membership: Membership, order_id: int, *, perm: Permission = Permission.SALES_VIEW
) -> Order:
    require(membership, perm)
    order = (
        Order.objects.for_shop(membership.shop_id)
        .select_related("customer", "account")
        .filter(pk=order_id)
        .first()
    )
    if order is None:
        raise Http404("no such order in this shop")
    return order


def get_invoice_for_member(
    membership: Membership, invoice_id: int, *, perm: Permission = Permission.SALES_VIEW
) -> Invoice:
    require(membership, perm)
    invoice = (
        Invoice.objects.for_shop(membership.shop_id)
        .select_related("charge", "order")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404("no such invoice in this shop")
    return invoice


def get_product_for_member(
    membership: Membership, product_id: int, *, perm: Permission = Permission.SETTINGS_MANAGE
) -> Product:
    require(membership, perm)
    product = Product.objects.for_shop(membership.shop_id).filter(pk=product_id).first()
    if product is None:
        raise Http404("no such product in this shop")
    return product


def get_settlement_for_member(
    membership: Membership, settlement_id: int, *, perm: Permission = Permission.ACCOUNTS_REVERSE
) -> Settlement:
    require(membership, perm)
    settlement = (
        Settlement.objects.filter(shop_id=membership.shop_id, pk=settlement_id)
        .select_related("invoice__charge", "credit")
        .first()
    )
    if settlement is None:
        raise Http404("no such settlement in this shop")
    return settlement


def get_credit_for_member(
    membership: Membership, credit_id: int, *, perm: Permission = Permission.SALES_VIEW
) -> Credit:
    require(membership, perm)
    credit = (
        Credit.objects.filter(shop_id=membership.shop_id, pk=credit_id)
        .select_related("account__customer", "entry")
        .first()
    )
    if credit is None:
        raise Http404("no such credit in this shop")
    return credit
