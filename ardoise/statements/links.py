"""Payment links: signed, unguessable, for one statement, expiring.

The token is 32 random bytes, shown once (in the email) and stored only as its SHA-256, so the
database alone cannot rebuild a link. The URL carries the token signed with SECRET_KEY
(`TimestampSigner`), so a tampered link is refused before any lookup. Each link expires after
the shop's `statement_link_days`, stored on the link when it is made.
"""

import datetime as dt
import hashlib
import secrets

from django.core import signing
from django.utils import timezone

from ardoise.statements.errors import InvalidLink
from ardoise.statements.models import Statement, StatementLink

_SALT = "ardoise.statements.payment-link"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_payment_link(*, statement: Statement, days: int) -> str:
    """Store a new link for `statement` and return the signed token for its URL."""
    token = secrets.token_urlsafe(32)
    StatementLink.objects.create(
        shop_id=statement.shop_id,
        statement=statement,
        token_hash=_hash(token),
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    return signing.TimestampSigner(salt=_SALT).sign(token)


def resolve_payment_link(signed_token: str) -> StatementLink:
    """The link behind a URL token, or `InvalidLink` ("tampered", "unknown" or "expired")."""
    try:
        token = signing.TimestampSigner(salt=_SALT).unsign(signed_token)
    except signing.BadSignature as error:
        raise InvalidLink("tampered") from error
    link = (
        StatementLink.objects.select_related("statement", "statement__shop")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise InvalidLink("unknown")
    if link.expires_at <= timezone.now():
        raise InvalidLink("expired")
    return link
