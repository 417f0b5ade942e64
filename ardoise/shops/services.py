from django.db import transaction
from django.utils.text import slugify

from ardoise.audit.services import record_event
from ardoise.shops.models import Membership, Role, RoleKind, Shop, User
from ardoise.shops.permissions import BUILT_IN_ROLES


def create_shop(*, name: str, owner: User, slug: str = "", **fields: object) -> Shop:
    """A shop with its four built-in roles and its owner's membership, in one transaction."""
    with transaction.atomic():
        shop = Shop.objects.create(name=name, slug=slug or slugify(name)[:60], **fields)
        roles = {
            kind: Role.objects.create(
                shop=shop, name=label, kind=kind, permissions=sorted(permissions)
            )
            for kind, (label, permissions) in BUILT_IN_ROLES.items()
        }
        Membership.objects.create(shop=shop, user=owner, role=roles[RoleKind.OWNER])
        record_event(shop_id=shop.pk, actor_id=owner.pk, action="shops.shop.created", target=shop)
    return shop
