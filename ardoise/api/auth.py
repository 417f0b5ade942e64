"""Who is calling the API: `Authorization: Bearer <key>`, the key's scopes and its rate limit.

One statement authenticates, rate-limits and marks the key used: a conditional UPDATE of the
key's row that refills its token bucket (API_RATE_BURST tokens, API_RATE_PER_MINUTE a minute),
takes one token and returns the key, or updates nothing. Only then, to say why, a second read:
no such key or a revoked one is 401, an empty bucket 429 with `Retry-After`. The bucket is in the
database, so it holds across gunicorn workers and servers; the UPDATE holds the key's row lock
for one statement, outside any transaction.
"""

import json
import math
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import HttpBearer

from ardoise.api.errors import ApiError
from ardoise.api.keys import hash_secret
from ardoise.api.models import ApiKey
from ardoise.core import cursors
from ardoise.shops.permissions import Permission


@dataclass(frozen=True)
class Caller:
    key_id: int
    shop_id: int
    name: str
    scopes: frozenset[str]

    def can(self, permission: Permission) -> bool:
        return permission.value in self.scopes


_TAKE_TOKEN = (
    "UPDATE api_key SET tokens = {least}(%s, tokens + (%s - refilled_at) * %s) - 1, "
    "refilled_at = %s, last_used_at = %s "
    "WHERE secret_hash = %s AND revoked_at IS NULL "
    "AND {least}(%s, tokens + (%s - refilled_at) * %s) >= 1 "
    "RETURNING id, shop_id, name, scopes"
)
# The smaller of two numbers: LEAST on PostgreSQL, the scalar MIN on SQLite.
TAKE_TOKEN = {
    "postgresql": _TAKE_TOKEN.replace("{least}", "LEAST"),
    "sqlite": _TAKE_TOKEN.replace("{least}", "MIN"),
}


def _rate() -> tuple[float, float]:
    return float(settings.API_RATE_BURST), settings.API_RATE_PER_MINUTE / 60.0


def authenticate(secret: str) -> Caller:
    digest = hash_secret(secret)
    burst, per_second = _rate()
    now = time.time()
    refill = [burst, now, per_second]
    with cursors.statement() as cursor:
        params: list[Any] = [*refill, now, timezone.now(), digest, *refill]
        cursor.execute(TAKE_TOKEN[connection.vendor], params)
        row = cursor.fetchone()
    if row is not None:
        scopes = json.loads(row[3]) if isinstance(row[3], str) else row[3]
        return Caller(key_id=row[0], shop_id=row[1], name=row[2], scopes=frozenset(scopes))
    key = ApiKey.objects.filter(secret_hash=digest, revoked_at__isnull=True).first()
    if key is None:
        raise ApiError(401, "invalid_api_key")
    missing = 1 - min(burst, key.tokens + (now - key.refilled_at) * per_second)
    raise ApiError(429, "rate_limited", retry_after=max(1, math.ceil(missing / per_second)))


class ApiKeyAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> Any:
        header = request.headers.get("Authorization", "")
        scheme, _, secret = header.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise ApiError(401, "api_key_required")
        return self.authenticate(request, secret.strip())

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        caller = authenticate(token)
        request.caller = caller  # type: ignore[attr-defined]
        return caller


def caller_of(request: HttpRequest) -> Caller:
    caller = getattr(request, "caller", None) or getattr(request, "auth", None)
    assert isinstance(caller, Caller)
    return caller


def require_scope(request: HttpRequest, permission: Permission) -> Caller:
    caller = caller_of(request)
    if not caller.can(permission):
        raise ApiError(403, "scope_missing", scope=permission.value)
    return caller
