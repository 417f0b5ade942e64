"""The customer portal from the customer's Account tab: send the portal invitation (a sign-in
link by email, after commit) and sign the customer out of the portal everywhere."""

from django.contrib import messages
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ardoise.customers.emails import INVITATION
from ardoise.customers.portal_links import (
    PortalInvitationRefused,
    invite_to_portal,
    sign_out_everywhere,
)
from ardoise.customers.tasks import send_portal_link_task
from ardoise.shops.access import MemberRequest
from ardoise.shops.permissions import Permission
from ardoise.staff.access import get_customer_for_member, member_required


@member_required(Permission.CUSTOMERS_EDIT)
@require_POST
def customer_portal_invite(request: MemberRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_member(
        request.membership, customer_id, perm=Permission.CUSTOMERS_EDIT
    )
    try:
        with transaction.atomic():
            invite_to_portal(customer=customer, actor_id=request.user.pk)
            transaction.on_commit(lambda: send_portal_link_task.enqueue(customer.pk, INVITATION))
    except PortalInvitationRefused as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("Portal invitation sent to %(email)s: the sign-in link works once, for 15 minutes.")
            % {"email": customer.email},
        )
    return redirect("staff:customer_account", customer.pk)


@member_required(Permission.CUSTOMERS_EDIT)
@require_POST
def customer_portal_sign_out(request: MemberRequest, customer_id: int) -> HttpResponse:
    customer = get_customer_for_member(
        request.membership, customer_id, perm=Permission.CUSTOMERS_EDIT
    )
    sign_out_everywhere(customer=customer, actor_id=request.user.pk)
    messages.success(
        request, _("%(name)s is signed out of the portal everywhere.") % {"name": customer.name}
    )
    return redirect("staff:customer_account", customer.pk)
