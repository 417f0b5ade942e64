"""Who may download an export: a signed-in, active member of the current shop with the permission.

The exports app sits beside the back office (neither imports the other); both read the current
shop through `ardoise.shops.access.current_membership`.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase as HttpResponse

from ardoise.shops.access import current_membership
from ardoise.shops.permissions import Permission


def export_permission_required(
    *permissions: Permission,
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = current_membership(request)
            if membership is None or not all(membership.can(p) for p in permissions):
                raise PermissionDenied("exports")
            return view(request, membership, *args, **kwargs)

        return wrapper

    return decorator
