from typing import Any

from django.http import HttpRequest

from ardoise.shops.access import current_membership


def member(request: HttpRequest) -> dict[str, Any]:
    """`member`, `shop` and `can` (the set of permission codes) for every staff template."""
    membership = current_membership(request)
    if membership is None:
        return {"member": None, "shop": None, "can": frozenset()}
    granted = frozenset(membership.role.permissions) if membership.is_active else frozenset()
    return {"member": membership, "shop": membership.shop, "can": granted}
