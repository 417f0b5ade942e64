"""Who is acting, in which shop, with which permissions: the back office's access helpers.

Every staff view starts with `@member_required(permission)`, which signs the user in, finds their
active membership in the current shop (`ardoise.shops.access.current_membership`), answers 403
without the permission, and sets `request.membership` (a `MemberRequest`). Objects are fetched
with one helper per type (`get_customer_for_member`): an id from another shop gives 404, never
another shop's row.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse

from ardoise.customers.models import Customer
from ardoise.ledger.models import Account, Charge
from ardoise.shops.access import MemberRequest, current_membership
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission

View = TypeVar("View", bound=Callable[..., HttpResponse])


def member_required(permission: Permission | None = None) -> Callable[[View], View]:
    """Signed in, active in the current shop, and holding `permission` (403 otherwise)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request)
            if membership is None:
                raise PermissionDenied("no active membership")
            if permission is not None and not membership.can(permission):
                raise PermissionDenied(permission)
            member_request = cast(MemberRequest, request)
            member_request.membership = membership
            return view(member_request, *args, **kwargs)

        return cast(View, wrapper)

    return decorator


def require(membership: Membership, permission: Permission) -> None:
    """For a second permission inside a view (a POST that needs more than the page)."""
    if not membership.can(permission):
        raise PermissionDenied(permission)


def get_customer_for_member(
    membership: Membership, customer_id: int, *, perm: Permission = Permission.CUSTOMERS_VIEW
) -> Customer:
    require(membership, perm)
    customer = Customer.objects.filter(shop_id=membership.shop_id, pk=customer_id).first()
    if customer is None:
        raise Http404("no such customer in this shop")
    return customer


def get_account_for_member(
    membership: Membership, customer_id: int, *, perm: Permission = Permission.CUSTOMERS_VIEW
) -> Account:
    require(membership, perm)
    account = (
        Account.objects.select_related("customer")
        .filter(shop_id=membership.shop_id, customer_id=customer_id)
        .first()
    )
    if account is None:
        raise Http404("no such account in this shop")
    return account


def get_charge_for_member(
    membership: Membership, charge_id: int, *, perm: Permission = Permission.SALES_VIEW
) -> Charge:
    require(membership, perm)
    charge = (
        Charge.objects.select_related("account__customer", "entry")
        .filter(shop_id=membership.shop_id, pk=charge_id)
        .first()
    )
    if charge is None:
        raise Http404("no such charge in this shop")
    return charge
