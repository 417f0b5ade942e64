"""Every built-in role × every protected back-office action: allowed (its success status) or 403.

The expected answer comes from the role's permissions in the catalogue (`BUILT_IN_ROLES`), so a
change to a role's defaults or to a view's permission shows here. The second half checks that
every object URL answers 404 for another shop's id, even to that shop's owner.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.urls import reverse

from ardoise.ledger.models import Account
from ardoise.shops.models import Membership, Role, RoleKind, Shop
from ardoise.shops.permissions import BUILT_IN_ROLES, Permission
from tests.factories import client_for, key, make_account, make_member, make_shop, owner_of

pytestmark = pytest.mark.django_db


@dataclass
class World:
    shop: Shop
    account: Account
    role: Role  # a custom role
    target: Membership  # an associate others act on


def build_world() -> World:
    shop = make_shop(default_credit_limit=300_00)
    account = make_account(shop, credit_limit=100_00, name="Camille Martin")
    role = Role.objects.create(shop=shop, name="Cashier", permissions=["customers.view"])
    target = Membership.objects.get(user=make_member(shop, RoleKind.ASSOCIATE))
    return World(shop=shop, account=account, role=role, target=target)


@dataclass(frozen=True)
class Action:
    name: str
    method: str
    url: Callable[[World], str]
    permission: Permission
    ok: int
    data: Callable[[World], dict[str, Any]] = lambda world: {}


def _customer(name: str, *extra: str) -> Callable[[World], str]:
    return lambda world: reverse(name, args=[world.account.customer_id, *extra])


def _receipt(world: World) -> dict[str, Any]:
    return {"mode": "cash", "amount": "10", "day": "", "idempotency_key": key()}


def _receipt_today(world: World) -> dict[str, Any]:
    from django.utils import timezone

    return {**_receipt(world), "day": timezone.localdate().isoformat()}


def _adjustment(world: World) -> dict[str, Any]:
    return {"amount": "5", "reason": "Broken crate", "idempotency_key": key()}


def _customer_fields(world: World) -> dict[str, Any]:
    return {
        "name": "Léa Petit",
        "country": "FR",
        "language": "fr",
        "credit_limit": "",
        "idempotency_key": key(),
    }


ACTIONS = [
    Action(
        "customer list",
        "get",
        lambda w: reverse("staff:customer_list"),
        Permission.CUSTOMERS_VIEW,
        200,
    ),
    Action(
        "credit account list",
        "get",
        lambda w: reverse("staff:credit_account_list"),
        Permission.CUSTOMERS_VIEW,
        200,
    ),
    Action(
        "account tab", "get", _customer("staff:customer_account"), Permission.CUSTOMERS_VIEW, 200
    ),
    Action(
        "new customer form",
        "get",
        lambda w: reverse("staff:customer_create"),
        Permission.CUSTOMERS_EDIT,
        200,
    ),
    Action(
        "create customer",
        "post",
        lambda w: reverse("staff:customer_create"),
        Permission.CUSTOMERS_EDIT,
        302,
        _customer_fields,
    ),
    Action(
        "edit customer form",
        "get",
        _customer("staff:customer_edit"),
        Permission.CUSTOMERS_EDIT,
        200,
    ),
    Action(
        "edit customer",
        "post",
        _customer("staff:customer_edit"),
        Permission.CUSTOMERS_EDIT,
        302,
        _customer_fields,
    ),
    Action(
        "change credit limit",
        "post",
        _customer("staff:customer_credit_limit"),
        Permission.CUSTOMERS_CREDIT_LIMIT,
        302,
        lambda w: {"credit_limit": "250", "idempotency_key": key()},
    ),
    Action(
        "deactivate confirmation",
        "get",
        _customer("staff:customer_deactivate"),
        Permission.CUSTOMERS_CREDIT_LIMIT,
        200,
    ),
    Action(
        "deactivate",
        "post",
        _customer("staff:customer_deactivate"),
        Permission.CUSTOMERS_CREDIT_LIMIT,
        302,
        lambda w: {"idempotency_key": key()},
    ),
    Action(
        "payment form",
        "get",
        _customer("staff:customer_movement", "payment"),
        Permission.PAYMENTS_RECORD,
        200,
    ),
    Action(
        "record payment",
        "post",
        _customer("staff:customer_movement", "payment"),
        Permission.PAYMENTS_RECORD,
        302,
        _receipt_today,
    ),
    Action(
        "top-up form",
        "get",
        _customer("staff:customer_movement", "top-up"),
        Permission.PAYMENTS_RECORD,
        200,
    ),
    Action(
        "record top-up",
        "post",
        _customer("staff:customer_movement", "top-up"),
        Permission.PAYMENTS_RECORD,
        302,
        _receipt_today,
    ),
    Action(
        "debit form",
        "get",
        _customer("staff:customer_movement", "debit"),
        Permission.ACCOUNTS_ADJUST,
        200,
    ),
    Action(
        "post debit",
        "post",
        _customer("staff:customer_movement", "debit"),
        Permission.ACCOUNTS_ADJUST,
        302,
        _adjustment,
    ),
    Action(
        "credit form",
        "get",
        _customer("staff:customer_movement", "credit"),
        Permission.ACCOUNTS_ADJUST,
        200,
    ),
    Action(
        "post credit",
        "post",
        _customer("staff:customer_movement", "credit"),
        Permission.ACCOUNTS_ADJUST,
        302,
        _adjustment,
    ),
    Action("role list", "get", lambda w: reverse("staff:role_list"), Permission.ROLES_MANAGE, 200),
    Action(
        "new role form", "get", lambda w: reverse("staff:role_create"), Permission.ROLES_MANAGE, 200
    ),
    Action(
        "create role",
        "post",
        lambda w: reverse("staff:role_create"),
        Permission.ROLES_MANAGE,
        302,
        lambda w: {"name": "Till", "permissions": ["customers.view"]},
    ),
    Action(
        "role form",
        "get",
        lambda w: reverse("staff:role_edit", args=[w.role.pk]),
        Permission.ROLES_MANAGE,
        200,
    ),
    Action(
        "save role",
        "post",
        lambda w: reverse("staff:role_edit", args=[w.role.pk]),
        Permission.ROLES_MANAGE,
        302,
        lambda w: {"name": "Cashier", "permissions": ["customers.view", "sales.view"]},
    ),
    Action(
        "member list", "get", lambda w: reverse("staff:member_list"), Permission.STAFF_MANAGE, 200
    ),
    Action(
        "invite member",
        "post",
        lambda w: reverse("staff:member_invite"),
        Permission.STAFF_MANAGE,
        302,
        lambda w: {
            "email": "new@ex.fr",
            "role": Role.objects.get(shop=w.shop, kind=RoleKind.ASSOCIATE).pk,
        },
    ),
    Action(
        "change member role",
        "post",
        lambda w: reverse("staff:member_role", args=[w.target.pk]),
        Permission.STAFF_MANAGE,
        302,
        lambda w: {"role": w.role.pk},
    ),
    Action(
        "deactivate member",
        "post",
        lambda w: reverse("staff:member_active", args=[w.target.pk]),
        Permission.STAFF_MANAGE,
        302,
        lambda w: {"is_active": "0"},
    ),
]

ROLES = [RoleKind.OWNER, RoleKind.ADMIN, RoleKind.MANAGER, RoleKind.ASSOCIATE]


def _request(client: Any, action: Action, world: World) -> Any:
    url = action.url(world)
    if action.method == "get":
        return client.get(url)
    return client.post(url, action.data(world))


@pytest.mark.parametrize("action", ACTIONS, ids=lambda action: action.name)
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not(role: str, action: Action) -> None:
    world = build_world()
    client = client_for(make_member(world.shop, role))
    allowed = action.permission in BUILT_IN_ROLES[role][1]

    response = _request(client, action, world)

    assert response.status_code == (action.ok if allowed else 403)


def test_a_custom_role_gets_exactly_what_its_boxes_grant() -> None:
    world = build_world()
    user = make_member(world.shop, RoleKind.ASSOCIATE)
    Membership.objects.filter(user=user).update(role=world.role)  # customers.view only
    client = client_for(user)

    assert client.get(reverse("staff:customer_list")).status_code == 200
    post = client.post(
        reverse("staff:customer_movement", args=[world.account.customer_id, "payment"]),
        _receipt_today(world),
    )
    assert post.status_code == 403


def test_a_deactivated_member_is_refused_everywhere() -> None:
    world = build_world()
    client = client_for(world.target.user)
    world.target.is_active = False
    world.target.save(update_fields=["is_active"])

    assert client.get(reverse("staff:customer_list")).status_code == 403


def test_signed_out_visitors_are_sent_to_sign_in() -> None:
    from django.test import Client

    world = build_world()
    response = Client().get(reverse("staff:customer_account", args=[world.account.customer_id]))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("staff:login") + "?next=")


def _object_urls(world: World) -> list[tuple[str, str, Callable[[World], dict[str, Any]]]]:
    customer_id = world.account.customer_id
    role_id, member_id = world.role.pk, world.target.pk
    return [
        ("get", reverse("staff:customer_account", args=[customer_id]), dict),
        ("get", reverse("staff:customer_edit", args=[customer_id]), dict),
        ("post", reverse("staff:customer_edit", args=[customer_id]), _customer_fields),
        (
            "post",
            reverse("staff:customer_credit_limit", args=[customer_id]),
            lambda w: {"credit_limit": "1", "idempotency_key": key()},
        ),
        ("get", reverse("staff:customer_deactivate", args=[customer_id]), dict),
        (
            "post",
            reverse("staff:customer_deactivate", args=[customer_id]),
            lambda w: {"idempotency_key": key()},
        ),
        *[
            (method, reverse("staff:customer_movement", args=[customer_id, kind]), data)
            for kind, data in [
                ("payment", _receipt_today),
                ("top-up", _receipt_today),
                ("debit", _adjustment),
                ("credit", _adjustment),
            ]
            for method in ("get", "post")
        ],
        ("get", reverse("staff:role_edit", args=[role_id]), dict),
        (
            "post",
            reverse("staff:role_edit", args=[role_id]),
            lambda w: {"name": "X", "permissions": []},
        ),
        ("post", reverse("staff:member_role", args=[member_id]), lambda w: {"role": role_id}),
        ("post", reverse("staff:member_active", args=[member_id]), lambda w: {"is_active": "0"}),
    ]


def test_every_object_url_answers_404_for_another_shops_id() -> None:
    mine, theirs = build_world(), build_world()
    client = client_for(owner_of(mine.shop))
    answers = []
    for method, url, data in _object_urls(theirs):
        response = client.get(url) if method == "get" else client.post(url, data(theirs))
        answers.append((method, url, response.status_code))

    assert answers == [(method, url, 404) for method, url, _status in answers]
    theirs.account.refresh_from_db()
    theirs.target.refresh_from_db()
    theirs.role.refresh_from_db()
    assert (theirs.account.balance, theirs.account.credit_limit) == (0, 100_00)
    assert (theirs.target.is_active, theirs.target.role.kind) == (True, RoleKind.ASSOCIATE)
    assert theirs.role.permissions == ["customers.view"]


def test_an_unknown_movement_kind_is_404() -> None:
    world = build_world()
    client = client_for(owner_of(world.shop))
    url = reverse("staff:customer_movement", args=[world.account.customer_id, "refund"])

    assert client.get(url).status_code == 404
