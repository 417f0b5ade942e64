"""Settings → Staff roles and Staff members, through the pages."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from ardoise.shops.models import Membership, Role, RoleKind, Shop, User
from ardoise.shops.permissions import AREAS, Permission
from ardoise.staff.settings.tasks import send_invitation_task
from tests.factories import client_for, make_member, owner_of
from tests.statements.support import run_worker

pytestmark = pytest.mark.django_db


def _role(shop: Shop, kind: str) -> Role:
    return Role.objects.get(shop=shop, kind=kind)


def test_role_list_shows_the_four_built_in_roles_with_their_members(
    shop: Shop, owner_client: Client
) -> None:
    make_member(shop, RoleKind.ASSOCIATE)
    make_member(shop, RoleKind.ASSOCIATE)

    response = owner_client.get(reverse("staff:role_list"))

    rows = [(role.name, role.members) for role in response.context["roles"]]
    assert rows == [("Owner", 1), ("Admin", 0), ("Manager", 0), ("Associate", 2)]
    assert reverse("staff:role_create") in response.content.decode()


def test_the_permission_grid_is_grouped_by_area(shop: Shop, owner_client: Client) -> None:
    response = owner_client.get(reverse("staff:role_edit", args=[_role(shop, RoleKind.MANAGER).pk]))

    grid = response.context["form"].grid()
    assert [str(label) for label, _boxes in grid] == [str(label) for _code, label in AREAS]
    sales = {box["code"]: box["checked"] for box in grid[0][1]}
    assert sales == {
        "sales.view": True,
        "sales.create": True,
        "sales.deliver": True,
        "sales.refund_to_account": True,
        "sales.refund": True,
    }
    body = response.content.decode()
    assert "Sales – Refund to credit account" in body
    assert "Customers – Credit limit" in body


def test_saving_a_role_changes_it_for_every_member_who_holds_it(
    shop: Shop, owner_client: Client
) -> None:
    first, second = make_member(shop, RoleKind.ASSOCIATE), make_member(shop, RoleKind.ASSOCIATE)
    associate = _role(shop, RoleKind.ASSOCIATE)

    response = owner_client.post(
        reverse("staff:role_edit", args=[associate.pk]),
        {
            "name": "ignored for built-in roles",
            "permissions": ["customers.view", "sales.refund_to_account"],
        },
    )

    assert response.status_code == 302
    associate.refresh_from_db()
    assert (associate.name, associate.permissions) == (
        "Associate",
        ["customers.view", "sales.refund_to_account"],
    )
    for user in (first, second):
        membership = Membership.objects.select_related("role").get(user=user)
        assert membership.can(Permission.SALES_REFUND_TO_ACCOUNT)
        assert not membership.can(Permission.PAYMENTS_RECORD)


def test_the_owner_role_keeps_the_right_to_manage_roles(shop: Shop, owner_client: Client) -> None:
    owner_role = _role(shop, RoleKind.OWNER)
    page = owner_client.get(reverse("staff:role_edit", args=[owner_role.pk])).content.decode()
    assert 'value="roles.manage" checked disabled' in page

    response = owner_client.post(
        reverse("staff:role_edit", args=[owner_role.pk]),
        {"name": "Owner", "permissions": ["customers.view"]},
    )

    assert response.status_code == 302
    owner_role.refresh_from_db()
    assert owner_role.permissions == ["customers.view", "roles.manage"]
    assert client_for(owner_of(shop)).get(reverse("staff:role_list")).status_code == 200


def test_new_role(shop: Shop, owner_client: Client) -> None:
    response = owner_client.post(
        reverse("staff:role_create"),
        {"name": "Saturday cashier", "permissions": ["customers.view", "payments.record"]},
    )

    assert response.status_code == 302
    role = Role.objects.get(shop=shop, name="Saturday cashier")
    assert (role.kind, role.permissions) == (RoleKind.CUSTOM, ["customers.view", "payments.record"])


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "manager", "permissions": []}, "Another role already has this name."),
        ({"name": "", "permissions": []}, "This field is required."),
        (
            {"name": "X", "permissions": ["god.mode"]},
            "Select a valid choice. god.mode is not one of the available choices.",
        ),
    ],
)
def test_new_role_refusals_create_nothing(
    shop: Shop, owner_client: Client, data: dict[str, object], message: str
) -> None:
    response = owner_client.post(reverse("staff:role_create"), data)

    assert response.status_code == 400
    errors = [str(error) for errors in response.context["form"].errors.values() for error in errors]
    assert errors == [message]
    assert Role.objects.filter(shop=shop).count() == 4


def test_member_list_and_invitation_email_sent_after_commit(
    shop: Shop,
    owner_client: Client,
    django_capture_on_commit_callbacks,  # type: ignore[no-untyped-def]
) -> None:
    manager = _role(shop, RoleKind.MANAGER)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = owner_client.post(
            reverse("staff:member_invite"),
            {
                "email": "Paul@Ferme.FR",
                "first_name": "Paul",
                "last_name": "Roux",
                "role": manager.pk,
            },
        )
        assert mail.outbox == []  # nothing leaves before the membership is committed
        assert DBTaskResult.objects.count() == 0
    assert len(callbacks) == 1

    assert response.status_code == 302
    user = User.objects.get(email="paul@ferme.fr")
    assert not user.has_usable_password()
    membership = Membership.objects.get(shop=shop, user=user)
    assert (membership.role, membership.is_active) == (manager, True)
    task = DBTaskResult.objects.get()
    assert (task.task_path, task.args_kwargs["args"], task.status) == (
        "ardoise.staff.settings.tasks.send_invitation_task",
        [membership.pk],
        "READY",
    )
    assert mail.outbox == []  # the worker sends it, not the request
    run_worker()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["paul@ferme.fr"]
    link = next(line for line in message.body.splitlines() if "/password/reset/" in line)
    page = Client(HTTP_ACCEPT_LANGUAGE="en").get(link.split("127.0.0.1:8000", 1)[-1], follow=True)
    assert page.context["validlink"] is True
    listing = owner_client.get(reverse("staff:member_list")).content.decode()
    assert "paul@ferme.fr" in listing
    assert "Invited" in listing


def test_the_invitation_task_does_not_invite_a_membership_deactivated_since(shop: Shop) -> None:
    user = make_member(shop, RoleKind.MANAGER)
    membership = Membership.objects.get(shop=shop, user=user)
    Membership.objects.filter(pk=membership.pk).update(is_active=False)

    send_invitation_task.enqueue(membership.pk)
    run_worker()

    assert mail.outbox == []
    assert DBTaskResult.objects.get().status == "SUCCESSFUL"


def test_inviting_an_existing_member_is_refused(shop: Shop, owner_client: Client) -> None:
    existing = make_member(shop, RoleKind.ASSOCIATE)

    response = owner_client.post(
        reverse("staff:member_invite"),
        {"email": existing.email, "role": _role(shop, RoleKind.MANAGER).pk},
    )

    assert response.status_code == 400
    assert response.context["invite_form"].non_field_errors() == [
        "This person is already a staff member of this shop."
    ]
    assert mail.outbox == []
    assert Membership.objects.get(user=existing).role.kind == RoleKind.ASSOCIATE


def test_change_role_and_deactivate(shop: Shop, owner_client: Client) -> None:
    user = make_member(shop, RoleKind.ASSOCIATE)
    membership = Membership.objects.get(user=user)

    owner_client.post(
        reverse("staff:member_role", args=[membership.pk]),
        {"role": _role(shop, RoleKind.MANAGER).pk},
    )
    owner_client.post(reverse("staff:member_active", args=[membership.pk]), {"is_active": "0"})

    membership.refresh_from_db()
    assert (membership.role.kind, membership.is_active) == (RoleKind.MANAGER, False)
    assert client_for(user).get(reverse("staff:customer_list")).status_code == 403


def test_an_admin_cannot_escalate_to_owner(shop: Shop) -> None:
    admin = make_member(shop, RoleKind.ADMIN)
    target = Membership.objects.get(user=make_member(shop, RoleKind.ASSOCIATE))
    client = client_for(admin)

    response = client.post(
        reverse("staff:member_role", args=[target.pk]),
        {"role": _role(shop, RoleKind.OWNER).pk},
        follow=True,
    )

    target.refresh_from_db()
    assert target.role.kind == RoleKind.ASSOCIATE
    assert [str(m) for m in response.context["messages"]] == [
        "You cannot grant a permission that your own role does not have."
    ]


def test_nobody_changes_their_own_access(shop: Shop, owner_client: Client) -> None:
    me = Membership.objects.get(user=owner_of(shop))

    response = owner_client.post(
        reverse("staff:member_active", args=[me.pk]), {"is_active": "0"}, follow=True
    )

    me.refresh_from_db()
    assert me.is_active is True
    assert [str(m) for m in response.context["messages"]] == ["You cannot change your own access."]


def test_the_member_page_shows_no_controls_on_ones_own_row(
    shop: Shop, owner_client: Client
) -> None:
    me = Membership.objects.get(user=owner_of(shop))

    body = owner_client.get(reverse("staff:member_list")).content.decode()

    assert reverse("staff:member_active", args=[me.pk]) not in body
    assert reverse("staff:member_role", args=[me.pk]) not in body


def test_settings_tiles_follow_permissions(shop: Shop) -> None:
    admin = client_for(make_member(shop, RoleKind.ADMIN))

    body = admin.get(reverse("staff:settings")).content.decode()

    assert reverse("staff:member_list") in body
    assert reverse("staff:role_list") not in body
