from typing import Any

from django.db import models

from ardoise.audit.models import AuditEvent
from ardoise.core import inserts


def record_event(
    *,
    shop_id: int,
    actor_id: int | None,
    action: str,
    target: models.Model | None = None,
    data: dict[str, Any] | None = None,
    after: inserts.Statement | None = None,
) -> AuditEvent:
    """Write one audit event. Call it inside the transaction of the change it describes.

    `after` (sql, params): a statement of that change to run first, sent with the event's
    INSERT in one round trip where the database allows it (`inserts.create_after`)."""
    values: dict[str, Any] = {
        "shop_id": shop_id,
        "actor_id": actor_id,
        "action": action,
        "object_type": target._meta.label_lower if target is not None else "",
        "object_id": target.pk if target is not None else None,
        "data": data or {},
    }
    if after is not None:
        return inserts.create_after(AuditEvent, after, **values)
    return inserts.create(AuditEvent, **values)
