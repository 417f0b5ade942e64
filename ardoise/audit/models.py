"""Audit events: who did what to which object, written in the same transaction as the change.

Append-only: the database refuses UPDATE and DELETE (see `ardoise.core.append_only`). An event
names its shop, its actor (a staff user, or none for the system and for customers acting through
the portal), a dotted action (`ledger.charge.posted`), the object it concerns and a JSON payload
of the facts a reader needs later (amounts in minor units, reasons, overrides).
"""

from django.conf import settings
from django.db import models


class AuditEvent(models.Model):
    shop = models.ForeignKey("shops.Shop", on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=80)
    object_type = models.CharField(max_length=80)
    object_id = models.BigIntegerField(null=True)
    data = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "audit_event"
        indexes = [
            models.Index(fields=["shop", "object_type", "object_id"], name="audit_event_object"),
            models.Index(fields=["shop", "created_at"], name="audit_event_time"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type}#{self.object_id}"
