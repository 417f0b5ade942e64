"""The current shop of a request, written once for every interface app (back office, exports).

A signed-in user acts in one shop at a time: the session's `shop_id` when they hold an active
membership there, else their first active membership. The answer is cached on the request, so a
view, its decorator and the template context read it with one query.
"""

from typing import cast

from django.http import HttpRequest

from ardoise.shops.models import Membership, User

SHOP_SESSION_KEY = "shop_id"
_CACHE_ATTRIBUTE = "_ardoise_membership"


class MemberRequest(HttpRequest):
    """A request that `member_required` let through: a signed-in user and their membership."""

    user: User
    membership: Membership


def current_membership(request: HttpRequest) -> Membership | None:
    """The signed-in user's active membership in the current shop, or None."""
    if not request.user.is_authenticated:
        return None
    cached = getattr(request, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return cast(Membership, cached)
    memberships = Membership.objects.select_related("shop", "role", "user").filter(
        user_id=request.user.pk, is_active=True
    )
    shop_id = request.session.get(SHOP_SESSION_KEY)
    membership = (memberships.filter(shop_id=shop_id).first() if shop_id else None) or (
        memberships.order_by("id").first()
    )
    setattr(request, _CACHE_ATTRIBUTE, membership)
    return membership
