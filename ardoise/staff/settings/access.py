"""Access helpers for the settings area: one per object type, 404 for another shop's id."""

from django.http import Http404

from ardoise.shops.models import Membership, Role
from ardoise.shops.permissions import Permission
from ardoise.staff.access import require


def get_role_for_member(membership: Membership, role_id: int) -> Role:
    require(membership, Permission.ROLES_MANAGE)
    role = Role.objects.filter(shop_id=membership.shop_id, pk=role_id).first()
    if role is None:
        raise Http404("no such role in this shop")
    return role


def get_membership_for_member(membership: Membership, membership_id: int) -> Membership:
    require(membership, Permission.STAFF_MANAGE)
    found = (
        Membership.objects.select_related("user", "role")
        .filter(shop_id=membership.shop_id, pk=membership_id)
        .first()
    )
    if found is None:
        raise Http404("no such staff member in this shop")
    return found
