"""API keys: created with their secret shown once, revoked, and looked up by their secret.

A secret is `ard_` + 43 URL-safe characters (256 random bits). Its SHA-256 is stored, never the
secret: a database dump does not give access to the API. The first 12 characters are kept in
clear as the prefix that Settings → API shows.
"""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ardoise.api.models import ApiKey
from ardoise.audit.services import record_event
from ardoise.core.errors import Refusal
from ardoise.shops.models import Membership
from ardoise.shops.permissions import Permission

SECRET_PREFIX = "ard_"
PREFIX_LENGTH = 12

# What a key may be given: the permissions an API call can need. Settings, staff and roles stay
# in the back office.
SCOPES: tuple[Permission, ...] = (
    Permission.CUSTOMERS_VIEW,
    Permission.CUSTOMERS_EDIT,
    Permission.CUSTOMERS_CREDIT_LIMIT,
    Permission.SALES_VIEW,
    Permission.SALES_CREATE,
    Permission.SALES_DELIVER,
    Permission.SALES_REFUND_TO_ACCOUNT,
    Permission.SALES_REFUND,
    Permission.PAYMENTS_RECORD,
    Permission.ACCOUNTS_REVERSE,
    Permission.STATEMENTS_SEND,
)


class KeyRefused(Refusal):
    code = "api_key_refused"
    default_message = _("This API key cannot be created.")
    field: str | None = None  # the form field at fault, if one is


class ScopeNotHeld(KeyRefused):
    code = "scope_not_held"
    default_message = _("You cannot give a key a permission your role does not have.")
    field = "scopes"


class ScopeRequired(KeyRefused):
    code = "scope_required"
    default_message = _("Choose at least one permission: a key without any can do nothing.")
    field = "scopes"


class NameRequired(KeyRefused):
    code = "name_required"
    default_message = _("Give the key a name (for example the till it is for).")
    field = "name"


class NameTaken(KeyRefused):
    code = "name_taken"
    default_message = _(
        "An active key is already named “%(name)s”: choose another name, so that the audit log "
        "tells the keys apart."
    )
    field = "name"


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class NewKey:
    key: ApiKey
    secret: str  # shown once, never stored


def create_api_key(*, membership: Membership, name: str, scopes: list[str]) -> NewKey:
    """A key for the member's shop with `scopes` (at least one, each a permission the member
    holds), named apart from the shop's other active keys (the audit log names calls by key)."""
    name = name.strip()[:80]
    if not name:
        raise NameRequired()
    chosen = sorted({Permission(scope).value for scope in scopes if scope in SCOPES})
    if not chosen:
        raise ScopeRequired()
    if any(not membership.can(scope) for scope in chosen):
        raise ScopeNotHeld()
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    active = ApiKey.objects.filter(shop_id=membership.shop_id, revoked_at__isnull=True)
    # The unique index's own comparison (the database's lower()), so that both say the same.
    same_name = active.filter(Exact(Lower("name"), Lower(Value(name))))
    try:
        with transaction.atomic(durable=True):
            if same_name.exists():
                raise NameTaken(name=name)
            key = ApiKey.objects.create(
                shop_id=membership.shop_id,
                name=name,
                prefix=secret[:PREFIX_LENGTH],
                secret_hash=hash_secret(secret),
                scopes=chosen,
                created_by_id=membership.user_id,
            )
            record_event(
                shop_id=membership.shop_id,
                actor_id=membership.user_id,
                action="api.key.created",
                target=key,
                data={"name": key.name, "prefix": key.prefix, "scopes": chosen},
            )
    except IntegrityError:
        # Another owner created a key of that name meanwhile: the unique index decided.
        if same_name.exists():
            raise NameTaken(name=name) from None
        raise
    return NewKey(key=key, secret=secret)


def revoke_api_key(*, membership: Membership, key: ApiKey) -> ApiKey:
    """Revoke a key at once: its next call gets 401. Revoking twice changes nothing."""
    with transaction.atomic(durable=True):
        revoked = ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now(), revoked_by_id=membership.user_id
        )
        if revoked:
            record_event(
                shop_id=key.shop_id,
                actor_id=membership.user_id,
                action="api.key.revoked",
                target=key,
                data={"name": key.name, "prefix": key.prefix},
            )
    key.refresh_from_db()
    return key
