from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from ardoise.invoicing.selectors import online_orders_to_prepare
from ardoise.shops.access import current_membership
from ardoise.shops.permissions import Permission

# What the Settings page offers; the menu shows Settings only to a role that can open one of them.
SETTINGS_PERMISSIONS = frozenset(
    {
        Permission.ROLES_MANAGE,
        Permission.STAFF_MANAGE,
        Permission.SETTINGS_MANAGE,
        Permission.EXPORTS_RUN,
    }
)


def member(request: HttpRequest) -> dict[str, Any]:
    """`member`, `shop`, `can` (the set of permission codes), `has_settings` and
    `new_online_orders` (the menu's count of online orders to prepare) for every staff
    template."""
    membership = current_membership(request)
    if membership is None:
        return {"member": None, "shop": None, "can": frozenset(), "has_settings": False}
    granted = frozenset(membership.role.permissions) if membership.is_active else frozenset()
    shop = membership.shop
    return {
        "member": membership,
        "shop": shop,
        "can": granted,
        "has_settings": bool(granted & SETTINGS_PERMISSIONS),
        # Read only where the shop takes portal orders, and when the menu shows it.
        "new_online_orders": SimpleLazyObject(lambda: online_orders_to_prepare(shop.pk))
        if shop.ordering_open and Permission.SALES_VIEW in granted
        else 0,
    }
