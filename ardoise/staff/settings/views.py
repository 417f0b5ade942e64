"""Settings → Staff roles (the permission grid, "+ New role") and Staff members.

Rules (the Owner keeps `roles.manage`, at least one active owner, no escalation, nobody edits
their own access) live in `ardoise.shops.services`; refusals come back as form errors.
"""

from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from ardoise.shops import services as shops
from ardoise.shops.access import MemberRequest
from ardoise.shops.errors import AccessChangeRefused
from ardoise.shops.models import Membership, Role
from ardoise.shops.permissions import Permission
from ardoise.staff.access import member_required
from ardoise.staff.settings.access import get_membership_for_member, get_role_for_member
from ardoise.staff.settings.forms import InviteForm, MemberActiveForm, MemberRoleForm, RoleForm
from ardoise.staff.settings.tasks import send_invitation_task


@member_required(Permission.ROLES_MANAGE)
def role_list(request: MemberRequest) -> HttpResponse:
    roles = (
        Role.objects.filter(shop_id=request.membership.shop_id)
        .annotate(members=Count("memberships", filter=Q(memberships__is_active=True)))
        .order_by("id")
    )
    return render(request, "staff/settings/roles.html", {"roles": roles, "nav": "settings"})


@member_required(Permission.ROLES_MANAGE)
@require_http_methods(["GET", "POST"])
def role_create(request: MemberRequest) -> HttpResponse:
    form = RoleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            role = shops.create_role(
                actor=request.membership,
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
            )
        except AccessChangeRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Role “%(name)s” created.") % {"name": role.name})
            return redirect("staff:role_list")
    status = 400 if form.errors else 200
    context = {"form": form, "nav": "settings"}
    return render(request, "staff/settings/role_form.html", context, status=status)


@member_required(Permission.ROLES_MANAGE)
@require_http_methods(["GET", "POST"])
def role_edit(request: MemberRequest, role_id: int) -> HttpResponse:
    role = get_role_for_member(request.membership, role_id)
    form = RoleForm(request.POST or None, role=role)
    if request.method == "POST" and form.is_valid():
        try:
            shops.update_role(
                actor=request.membership,
                role=role,
                name=form.cleaned_data["name"],
                permissions=form.cleaned_data["permissions"],
            )
        except AccessChangeRefused as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Changes saved for every member with this role."))
            return redirect("staff:role_list")
    status = 400 if form.errors else 200
    context = {"form": form, "role": role, "nav": "settings"}
    return render(request, "staff/settings/role_form.html", context, status=status)


def _members_page(
    request: MemberRequest, invite_form: InviteForm | None = None, status: int = 200
) -> HttpResponse:
    shop_id = request.membership.shop_id
    members = (
        Membership.objects.filter(shop_id=shop_id).select_related("user", "role").order_by("id")
    )
    context = {
        "members": members,
        "roles": Role.objects.filter(shop_id=shop_id).order_by("id"),
        "invite_form": invite_form or InviteForm(shop_id=shop_id),
        "nav": "settings",
    }
    return render(request, "staff/settings/members.html", context, status=status)


@member_required(Permission.STAFF_MANAGE)
def member_list(request: MemberRequest) -> HttpResponse:
    return _members_page(request)


@member_required(Permission.STAFF_MANAGE)
@require_POST
def member_invite(request: MemberRequest) -> HttpResponse:
    form = InviteForm(request.POST, shop_id=request.membership.shop_id)
    if form.is_valid():
        data = form.cleaned_data
        try:
            membership = shops.invite_member(
                actor=request.membership,
                email=data["email"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except AccessChangeRefused as error:
            form.add_error(None, str(error))
        else:
            membership_id = membership.pk
            transaction.on_commit(lambda: send_invitation_task.enqueue(membership_id))
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": data["email"]})
            return redirect("staff:member_list")
    return _members_page(request, invite_form=form, status=400)


@member_required(Permission.STAFF_MANAGE)
@require_POST
def member_role(request: MemberRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_member(request.membership, membership_id)
    form = MemberRoleForm(request.POST, shop_id=request.membership.shop_id)
    try:
        if not form.is_valid():
            raise AccessChangeRefused(_("Choose a role."))
        shops.change_member_role(
            actor=request.membership, membership=membership, role=form.cleaned_data["role"]
        )
    except AccessChangeRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Role changed for %(name)s.") % {"name": membership.user})
    return redirect("staff:member_list")


@member_required(Permission.STAFF_MANAGE)
@require_POST
def member_active(request: MemberRequest, membership_id: int) -> HttpResponse:
    membership = get_membership_for_member(request.membership, membership_id)
    form = MemberActiveForm(request.POST)
    try:
        if not form.is_valid():
            raise AccessChangeRefused()
        shops.set_member_active(
            actor=request.membership,
            membership=membership,
            is_active=form.cleaned_data["is_active"],
        )
    except AccessChangeRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Access updated for %(name)s.") % {"name": membership.user})
    return redirect("staff:member_list")
