"""Role and staff rules kept by `shops.services`, whatever screen calls them."""

import pytest

from ardoise.audit.models import AuditEvent
from ardoise.shops import services
from ardoise.shops.errors import AccessChangeRefused
from ardoise.shops.models import Membership, Role, RoleKind, Shop
from ardoise.shops.permissions import ALL, BUILT_IN_ROLES, Permission
from tests.factories import make_member, make_shop, owner_of

pytestmark = pytest.mark.django_db


def _membership(shop: Shop, kind: str) -> Membership:
    return Membership.objects.select_related("role").get(user=make_member(shop, kind))


def _owner(shop: Shop) -> Membership:
    return Membership.objects.select_related("role").get(user=owner_of(shop))


def test_a_new_shop_has_the_four_built_in_roles_with_their_defaults() -> None:
    shop = make_shop()

    roles = {role.kind: set(role.permissions) for role in Role.objects.filter(shop=shop)}

    assert roles == {kind: set(perms) for kind, (_name, perms) in BUILT_IN_ROLES.items()}
    assert roles[RoleKind.OWNER] == set(ALL)
    assert Permission.ROLES_MANAGE not in roles[RoleKind.ADMIN]
    assert Permission.ACCOUNTS_OVERRIDE_LIMIT not in roles[RoleKind.MANAGER]


def test_owner_role_cannot_lose_roles_manage() -> None:
    shop = make_shop()
    owner_role = Role.objects.get(shop=shop, kind=RoleKind.OWNER)

    with pytest.raises(AccessChangeRefused, match="always keeps the right to manage roles"):
        services.update_role(actor=_owner(shop), role=owner_role, permissions=["customers.view"])

    owner_role.refresh_from_db()
    assert set(owner_role.permissions) == set(ALL)


def test_update_role_is_audited_with_what_changed() -> None:
    shop = make_shop()
    associate = Role.objects.get(shop=shop, kind=RoleKind.ASSOCIATE)

    services.update_role(
        actor=_owner(shop), role=associate, permissions=["customers.view", "statements.send"]
    )

    event = AuditEvent.objects.get(action="shops.role.updated")
    assert event.data == {
        "name": "Associate",
        "added": ["statements.send"],
        "removed": ["customers.edit", "payments.record", "sales.create", "sales.view"],
    }


def test_nobody_grants_what_they_do_not_hold() -> None:
    shop = make_shop()
    custom = Role.objects.create(
        shop=shop, name="Role admin", permissions=["roles.manage", "customers.view"]
    )
    actor = _membership(shop, RoleKind.ASSOCIATE)
    actor.role = custom
    actor.save()

    with pytest.raises(AccessChangeRefused):
        services.update_role(
            actor=actor, role=custom, permissions=["roles.manage", "customers.view", "exports.run"]
        )
    with pytest.raises(AccessChangeRefused):
        services.create_role(actor=actor, name="Big", permissions=["accounts.override_limit"])

    custom.refresh_from_db()
    assert custom.permissions == ["roles.manage", "customers.view"]
    assert Role.objects.filter(shop=shop).count() == 5


def test_the_last_active_owner_stays() -> None:
    shop = make_shop()
    owner = _owner(shop)
    second = _membership(shop, RoleKind.OWNER)

    services.set_member_active(actor=owner, membership=second, is_active=False)
    with pytest.raises(AccessChangeRefused, match="at least one active owner"):
        services.change_member_role(
            actor=second,
            membership=owner,
            role=Role.objects.get(shop=shop, kind=RoleKind.ADMIN),
        )

    owner.refresh_from_db()
    assert (owner.role.kind, owner.is_active) == (RoleKind.OWNER, True)


def test_an_admin_cannot_demote_or_deactivate_an_owner() -> None:
    shop = make_shop()
    admin = _membership(shop, RoleKind.ADMIN)
    owner = _owner(shop)

    with pytest.raises(AccessChangeRefused):
        services.set_member_active(actor=admin, membership=owner, is_active=False)
    owner.refresh_from_db()
    assert owner.is_active is True


def test_a_role_of_another_shop_cannot_be_given() -> None:
    shop, other = make_shop(), make_shop()
    target = _membership(shop, RoleKind.ASSOCIATE)

    with pytest.raises(AccessChangeRefused):
        services.change_member_role(
            actor=_owner(shop),
            membership=target,
            role=Role.objects.get(shop=other, kind=RoleKind.MANAGER),
        )


def test_inviting_someone_already_known_adds_a_membership_to_their_user() -> None:
    shop, other = make_shop(), make_shop()
    somebody = owner_of(other)

    membership = services.invite_member(
        actor=_owner(shop),
        email=somebody.email.upper(),
        role=Role.objects.get(shop=shop, kind=RoleKind.ASSOCIATE),
    )

    assert membership.user == somebody
    assert somebody.has_usable_password()
