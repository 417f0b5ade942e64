from typing import Any

from django.http import HttpRequest

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
    """`member`, `shop`, `can` (the set of permission codes) and `has_settings` for every staff
    template."""
    membership = current_membership(request)
    if membership is None:
        return {"member": None, "shop": None, "can": frozenset(), "has_settings": False}
    granted = frozenset(membership.role.permissions) if membership.is_active else frozenset()
    return {
        "member": membership,
        "shop": membership.shop,
        "can": granted,
        "has_settings": bool(granted & SETTINGS_PERMISSIONS),
    }
