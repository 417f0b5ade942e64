"""The JSON API's own rows: the shops' API keys and the responses kept for idempotency keys.

An API key belongs to one shop. Only the SHA-256 of its secret is stored (the secret is a random
256-bit token, so a slow password hash would add nothing and cost every call); `prefix` is the
part shown in Settings → API so that staff can tell keys apart. Its scopes are permission codes of
`shops.permissions`: a key may do what a staff member holding those permissions may do, and no
one grants a key a permission they do not hold. A revoked key stays, for the audit log.

The key row also holds its rate limit's token bucket (`tokens`, `refilled_at` in seconds since the
epoch): authenticating, counting the call and refilling the bucket is one conditional UPDATE.

`ApiRequest` is the API's idempotency record: the `Idempotency-Key` a caller sent with a write,
the fingerprint of the request (method, path, body) and the response given, inserted in the same
transaction as the write. The same key and request gives that response again; the same key with
another request is refused with 409.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class ApiKey(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16)
    secret_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    tokens = models.FloatField(default=0)
    refilled_at = models.FloatField(default=0)

    class Meta:
        db_table = "api_key"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["shop", "created_at"], name="api_key_shop")]
        constraints = [
            # The audit log names calls by key: two active keys of a shop never share a name
            # (a revoked key's name can be used again). keys.create_api_key says so first.
            models.UniqueConstraint(
                "shop",
                Lower("name"),
                condition=models.Q(revoked_at__isnull=True),
                name="api_key_unique_active_name",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiRequest(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    api_key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="+")
    idempotency_key = models.CharField(max_length=64)
    fingerprint = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "api_request"
        constraints = [
            models.UniqueConstraint(
                fields=["shop", "api_key", "idempotency_key"], name="api_request_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.api_key_id}:{self.idempotency_key}"
