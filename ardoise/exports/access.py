"""Who may download an export: a signed-in, active member of the current shop with the permission.

The exports app sits beside the back office (neither imports the other), so it reads the current
shop the way the back office does: the session's `shop_id`, else the member's first shop.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase as HttpResponse

from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission

SHOP_SESSION_KEY = "shop_id"


def membership_for(request: HttpRequest) -> Membership | None:
    if not request.user.is_authenticated:
        return None
    memberships = Membership.objects.select_related("shop", "role").filter(
        user_id=request.user.pk, is_active=True
    )
    shop_id = request.session.get(SHOP_SESSION_KEY)
    return (memberships.filter(shop_id=shop_id).first() if shop_id else None) or (
        memberships.order_by("id").first()
    )


def export_permission_required(
    *permissions: Permission,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = membership_for(request)
            if membership is None or not all(membership.can(p) for p in permissions):
                raise PermissionDenied("exports")
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator
