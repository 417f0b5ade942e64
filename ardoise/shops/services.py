"""Shop use cases: the shop itself, its roles, its staff members, and sign-in throttling.

Rules kept here, whatever screen calls them:

- the Owner role always keeps `roles.manage`, and a shop always keeps one active member who
  holds the Owner role, so a shop can never lock itself out of its own settings;
- nobody grants what they do not hold: a role edited, or a role given to a member, must not
  carry a permission the acting member lacks (no escalation through "+ New role" or invites);
- a member does not change their own role nor deactivate themselves.

Each use case writes its audit event in the same transaction.
"""

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from ardoise.audit.services import record_event
from ardoise.shops.errors import AccessChangeRefused
from ardoise.shops.models import Membership, Role, RoleKind, Shop, SignInThrottle, User
from ardoise.shops.permissions import ALL, BUILT_IN_ROLES, Permission


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


# --- Roles ------------------------------------------------------------------------------------


def _clean_permissions(permissions: Iterable[str]) -> list[str]:
    codes = set(permissions)
    unknown = codes - ALL
    if unknown:
        raise AccessChangeRefused(_("Unknown permission."))
    return sorted(codes)


def _require_grantable(actor: Membership, permissions: Iterable[str]) -> None:
    if not set(permissions) <= set(actor.role.permissions):
        raise AccessChangeRefused(
            _("You cannot grant a permission that your own role does not have.")
        )


def _require_unique_name(shop_id: int, name: str, *, exclude_id: int | None = None) -> str:
    name = name.strip()
    if not name:
        raise AccessChangeRefused(_("A role needs a name."))
    taken = Role.objects.filter(shop_id=shop_id, name__iexact=name)
    if exclude_id is not None:
        taken = taken.exclude(pk=exclude_id)
    if taken.exists():
        raise AccessChangeRefused(_("Another role already has this name."))
    return name


def create_role(*, actor: Membership, name: str, permissions: Iterable[str]) -> Role:
    """A custom role ("+ New role") in the actor's shop."""
    codes = _clean_permissions(permissions)
    _require_grantable(actor, codes)
    with transaction.atomic():
        name = _require_unique_name(actor.shop_id, name)
        role = Role.objects.create(
            shop_id=actor.shop_id, name=name, kind=RoleKind.CUSTOM, permissions=codes
        )
        record_event(
            shop_id=actor.shop_id,
            actor_id=actor.user_id,
            action="shops.role.created",
            target=role,
            data={"name": name, "permissions": codes},
        )
    return role


def update_role(
    *, actor: Membership, role: Role, permissions: Iterable[str], name: str | None = None
) -> Role:
    """Change a role for every member who holds it. Built-in roles keep their names.

    The Owner role cannot lose `roles.manage`. Only permissions the actor holds may be added or
    removed. Locks the role row.
    """
    codes = _clean_permissions(permissions)
    with transaction.atomic():
        locked = Role.objects.select_for_update().get(pk=role.pk, shop_id=actor.shop_id)
        if locked.kind == RoleKind.OWNER and Permission.ROLES_MANAGE not in codes:
            raise AccessChangeRefused(_("The Owner role always keeps the right to manage roles."))
        changed = set(codes) ^ set(locked.permissions)
        _require_grantable(actor, changed)
        fields = ["permissions"]
        if name is not None and locked.kind == RoleKind.CUSTOM and name.strip() != locked.name:
            locked.name = _require_unique_name(actor.shop_id, name, exclude_id=locked.pk)
            fields.append("name")
        previous = list(locked.permissions)
        locked.permissions = codes
        locked.save(update_fields=fields)
        record_event(
            shop_id=actor.shop_id,
            actor_id=actor.user_id,
            action="shops.role.updated",
            target=locked,
            data={
                "name": locked.name,
                "added": sorted(set(codes) - set(previous)),
                "removed": sorted(set(previous) - set(codes)),
            },
        )
    return locked


# --- Staff members ----------------------------------------------------------------------------


def _require_other_member(actor: Membership, membership: Membership) -> None:
    if membership.pk == actor.pk:
        raise AccessChangeRefused(_("You cannot change your own access."))
    if membership.shop_id != actor.shop_id:
        raise AccessChangeRefused()


def _require_owner_left(membership: Membership) -> None:
    """Refuse when `membership` is the last active member holding the Owner role."""
    owners = list(
        Membership.objects.select_for_update()
        .filter(shop_id=membership.shop_id, role__kind=RoleKind.OWNER, is_active=True)
        .order_by("id")
        .values_list("id", flat=True)
    )
    if owners == [membership.pk]:
        raise AccessChangeRefused(_("The shop must keep at least one active owner."))


def invite_member(
    *, actor: Membership, email: str, role: Role, first_name: str = "", last_name: str = ""
) -> Membership:
    """Give someone access to the shop with `role`, creating their user if needed.

    A new user has no password yet: the caller sends the invitation (a set-password link) after
    commit. Refused if they are already a member or if the role grants more than the actor has.
    """
    email = User.objects.normalize_email(email.strip()).lower()
    if role.shop_id != actor.shop_id:
        raise AccessChangeRefused()
    _require_grantable(actor, role.permissions)
    with transaction.atomic():
        user = User.objects.filter(email=email).first()
        if user is None:
            user = User.objects.create_user(
                email, None, first_name=first_name.strip(), last_name=last_name.strip()
            )
        elif Membership.objects.filter(shop_id=actor.shop_id, user=user).exists():
            raise AccessChangeRefused(_("This person is already a staff member of this shop."))
        membership = Membership.objects.create(shop_id=actor.shop_id, user=user, role=role)
        record_event(
            shop_id=actor.shop_id,
            actor_id=actor.user_id,
            action="shops.member.invited",
            target=membership,
            data={"email": email, "role": role.name},
        )
    return membership


def change_member_role(*, actor: Membership, membership: Membership, role: Role) -> Membership:
    """Give a member another role of the same shop. Locks the shop's owner memberships."""
    _require_other_member(actor, membership)
    if role.shop_id != actor.shop_id:
        raise AccessChangeRefused()
    _require_grantable(actor, role.permissions)
    _require_grantable(actor, membership.role.permissions)
    with transaction.atomic():
        if membership.role.kind == RoleKind.OWNER and role.kind != RoleKind.OWNER:
            _require_owner_left(membership)
        previous = membership.role.name
        membership.role = role
        membership.save(update_fields=["role"])
        record_event(
            shop_id=actor.shop_id,
            actor_id=actor.user_id,
            action="shops.member.role_changed",
            target=membership,
            data={"from": previous, "to": role.name},
        )
    return membership


def set_member_active(*, actor: Membership, membership: Membership, is_active: bool) -> Membership:
    """Deactivate a member (they can no longer sign in to this shop) or reactivate them."""
    _require_other_member(actor, membership)
    _require_grantable(actor, membership.role.permissions)
    with transaction.atomic():
        if not is_active and membership.role.kind == RoleKind.OWNER:
            _require_owner_left(membership)
        membership.is_active = is_active
        membership.save(update_fields=["is_active"])
        record_event(
            shop_id=actor.shop_id,
            actor_id=actor.user_id,
            action="shops.member.activated" if is_active else "shops.member.deactivated",
            target=membership,
        )
    return membership


# --- Sign-in throttling -----------------------------------------------------------------------

FAILURES_PER_EMAIL = 5
FAILURES_PER_ADDRESS = 30
RESETS_PER_EMAIL = 3
RESETS_PER_ADDRESS = 20
# Customer portal sign-in links asked for (customers.portal_links): per email, per address.
PORTAL_LINKS_PER_EMAIL = 3
PORTAL_LINKS_PER_ADDRESS = 20
THROTTLE_WINDOW = dt.timedelta(minutes=15)
LOCK_DURATION = dt.timedelta(minutes=15)


def _throttle_keys(
    email: str, address: str | None, *, kind: str = "sign-in"
) -> list[tuple[str, int]]:
    """The counters one attempt touches: its email (account) and its client address, apart.

    An email's counter locks only that email; an address's counter locks only that address, so
    failures from one address never lock an account signing in from elsewhere.
    """
    email = email.strip().lower()
    if kind == "sign-in":
        keys = [(f"email:{email}", FAILURES_PER_EMAIL)]
        if address:
            keys.append((f"address:{address}", FAILURES_PER_ADDRESS))
        return keys
    if kind == "portal-link":
        keys = [(f"portal-link-email:{email}", PORTAL_LINKS_PER_EMAIL)]
        if address:
            keys.append((f"portal-link-address:{address}", PORTAL_LINKS_PER_ADDRESS))
        return keys
    keys = [(f"reset-email:{email}", RESETS_PER_EMAIL)]
    if address:
        keys.append((f"reset-address:{address}", RESETS_PER_ADDRESS))
    return keys


def sign_in_locked_until(*, email: str, address: str | None) -> dt.datetime | None:
    """When the email (or the address) may try again; None if it may now."""
    now = timezone.now()
    keys = [key for key, _threshold in _throttle_keys(email, address)]
    until = (
        SignInThrottle.objects.filter(key__in=keys, locked_until__gt=now)
        .order_by("-locked_until")
        .values_list("locked_until", flat=True)
        .first()
    )
    return until


def _locked_row(key: str, now: dt.datetime) -> SignInThrottle:
    """The counter row of `key`, locked, its window restarted if it has run out."""
    row, _created = SignInThrottle.objects.select_for_update().get_or_create(
        key=key, defaults={"window_started_at": now}
    )
    if row.window_started_at < now - THROTTLE_WINDOW and not (
        row.locked_until and row.locked_until > now
    ):
        row.failures, row.window_started_at, row.locked_until = 0, now, None
    return row


def claim_attempt(*, email: str, address: str | None, kind: str = "sign-in") -> dt.datetime | None:
    """Count one attempt before the password (or the reset) is even looked at.

    Every attempt is counted as a failure until it succeeds (`forget_attempt`), under a lock on
    each counter row, so parallel attempts cannot slip past the threshold between a check and
    a count: at most `threshold` attempts per window reach the password. Returns when the
    email or address may try again if this attempt is refused, None if it may go on.
    """
    now = timezone.now()
    with transaction.atomic():
        rows = [
            (_locked_row(key, now), threshold)
            for key, threshold in sorted(_throttle_keys(email, address, kind=kind))
        ]
        locked = [
            row.locked_until for row, _ in rows if row.locked_until and row.locked_until > now
        ]
        if not locked:
            for row, threshold in rows:
                if row.failures >= threshold:
                    row.failures, row.window_started_at = 0, now
                    row.locked_until = now + LOCK_DURATION
                    locked.append(row.locked_until)
        if not locked:
            for row, _threshold in rows:
                row.failures += 1
        for row, _threshold in rows:
            row.save(update_fields=["failures", "window_started_at", "locked_until"])
    return max(locked) if locked else None


def confirm_failed_attempt(*, email: str, address: str | None) -> dt.datetime | None:
    """After a claimed sign-in attempt failed: lock a counter that reached its threshold.

    The failure was counted when it was claimed; this only says so at once, so the attempt
    that reaches the threshold already reads "too many attempts".
    """
    now = timezone.now()
    locked: dt.datetime | None = None
    with transaction.atomic():
        for key, threshold in sorted(_throttle_keys(email, address)):
            row = _locked_row(key, now)
            if row.failures >= threshold and not (row.locked_until and row.locked_until > now):
                row.failures, row.window_started_at = 0, now
                row.locked_until = now + LOCK_DURATION
                row.save(update_fields=["failures", "window_started_at", "locked_until"])
            if row.locked_until and row.locked_until > now:
                locked = max(locked or row.locked_until, row.locked_until)
    return locked


def record_failed_sign_in(*, email: str, address: str | None) -> dt.datetime | None:
    """Count one failure for the email and the address and lock what reaches its threshold.

    For a failure that was not claimed first (imports, tests); sign-in claims its attempts
    with `claim_attempt`. Returns when the sign-in is locked until, if it now is.
    """
    now = timezone.now()
    locked: dt.datetime | None = None
    with transaction.atomic():
        for key, threshold in sorted(_throttle_keys(email, address)):
            row = _locked_row(key, now)
            row.failures += 1
            if row.failures >= threshold:
                row.failures, row.window_started_at = 0, now
                row.locked_until = now + LOCK_DURATION
                locked = max(locked or row.locked_until, row.locked_until)
            row.save(update_fields=["failures", "window_started_at", "locked_until"])
    return locked


def forget_attempt(*, email: str, address: str | None) -> None:
    """A claimed sign-in succeeded: forget the email's failures and give the address its
    attempt back (an office behind one address signs in all day without locking itself)."""
    clear_failed_sign_ins(email=email)
    if address:
        SignInThrottle.objects.filter(key=f"address:{address}", failures__gt=0).update(
            failures=F("failures") - 1
        )


def clear_failed_sign_ins(*, email: str) -> None:
    SignInThrottle.objects.filter(key=f"email:{email.strip().lower()}").delete()


# --- Preferences ------------------------------------------------------------------------------


def set_user_language(*, user: User, language: str) -> bool:
    """Save the user's interface language; an unknown code changes nothing and returns False."""
    if language not in dict(settings.LANGUAGES):
        return False
    if user.language != language:
        user.language = language
        user.save(update_fields=["language"])
    return True


# --- Account settings -------------------------------------------------------------------------


def update_account_settings(
    *, shop: Shop, actor: User | None, default_credit_limit: int | None, auto_allocate: bool
) -> Shop:
    """Settings → Customer accounts: the credit limit new accounts get (`None` no limit, an
    explicit choice) and whether credits settle the oldest open charges automatically.

    Changes only what comes next: existing accounts keep their limits, and turning automatic
    allocation on or off applies nothing and releases nothing by itself.
    """
    if default_credit_limit is not None and (
        isinstance(default_credit_limit, bool)
        or not isinstance(default_credit_limit, int)
        or default_credit_limit < 0
    ):
        raise ValueError("a default credit limit is None or an int of minor units, 0 or more")
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        before = {
            "default_credit_limit": locked.default_credit_limit,
            "auto_allocate": locked.auto_allocate,
        }
        locked.default_credit_limit = default_credit_limit
        locked.auto_allocate = auto_allocate
        locked.save(update_fields=["default_credit_limit", "auto_allocate"])
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor is not None else None,
            action="shops.account_settings.changed",
            target=locked,
            data={
                "default_credit_limit": {
                    "from": before["default_credit_limit"],
                    "to": default_credit_limit,
                },
                "auto_allocate": {"from": before["auto_allocate"], "to": auto_allocate},
            },
        )
    shop.default_credit_limit, shop.auto_allocate = default_credit_limit, auto_allocate
    return shop


# --- Customer portal settings -----------------------------------------------------------------

PORTAL_FIELDS = (
    "portal_enabled",
    "ordering_open",
    "order_payment_required",
    "top_up_minimum",
    "notify_new_orders",
)


def update_portal_settings(
    *,
    shop: Shop,
    actor: User | None,
    portal_enabled: bool,
    ordering_open: bool,
    order_payment_required: bool,
    top_up_minimum: int,
    notify_new_orders: bool,
) -> Shop:
    """Settings → Customer portal: the portal on or off, ordering open or closed, whether a
    portal order must be paid online, the smallest online top-up, the new-order email.

    Turning the portal off closes every portal page at once (they answer 404); sessions are
    kept, so turning it back on needs no new sign-in. Audited with what changed.
    """
    if isinstance(top_up_minimum, bool) or not isinstance(top_up_minimum, int):
        raise ValueError("top_up_minimum is an int of minor units")
    if top_up_minimum < 1:
        raise ValueError("the smallest top-up is above zero")
    values = {
        "portal_enabled": portal_enabled,
        "ordering_open": ordering_open,
        "order_payment_required": order_payment_required,
        "top_up_minimum": top_up_minimum,
        "notify_new_orders": notify_new_orders,
    }
    with transaction.atomic():
        locked = Shop.objects.select_for_update().get(pk=shop.pk)
        changed = {
            name: {"from": getattr(locked, name), "to": value}
            for name, value in values.items()
            if getattr(locked, name) != value
        }
        for name, value in values.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(PORTAL_FIELDS))
        record_event(
            shop_id=shop.pk,
            actor_id=actor.pk if actor is not None else None,
            action="shops.portal_settings.changed",
            target=locked,
            data=changed,
        )
    return locked
