"""Idempotency keys: the same request twice gives the first result, never a second posting.

`claim()` runs inside the caller's transaction, as its first statement. It inserts the key with
`ON CONFLICT DO NOTHING`: on PostgreSQL a concurrent claim of the same key waits for the first
transaction to end, then sees its row; on SQLite writers are already serialised (IMMEDIATE). If
the key exists, the stored fingerprint decides: same request, the caller returns the first result;
another request, `IdempotencyConflict`. If the first transaction rolled back, its claim is gone
and the retry does the work.
"""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ardoise.ledger.errors import IdempotencyConflict, LedgerError
from ardoise.ledger.models import IdempotencyRecord
from ardoise.ledger.services import posting

MAX_KEY_LENGTH = 120


def fingerprint(operation: str, params: dict[str, Any]) -> str:
    payload = json.dumps({"operation": operation, "params": params}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class Claim:
    record_id: int
    replay_of: int | None  # the first result's id when the key was already used


def claim(*, shop_id: int, key: str, operation: str, params: dict[str, Any]) -> Claim:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise LedgerError(f"an idempotency key of 1 to {MAX_KEY_LENGTH} characters is required")
    digest = fingerprint(operation, params)
    row = posting.execute(posting.CLAIM, [shop_id, key, operation, digest, timezone.now()])
    if row is not None:
        return Claim(record_id=row[0], replay_of=None)
    existing = IdempotencyRecord.objects.get(shop_id=shop_id, key=key)
    if existing.fingerprint != digest or existing.result_id is None:
        raise IdempotencyConflict()
    return Claim(record_id=existing.pk, replay_of=existing.result_id)


def settle(claim_: Claim, result_id: int) -> None:
    """Store the result of the claimed work (same transaction). Written SQL, like the claim:
    both run in every posting (bench/posting.py)."""
    posting.execute(posting.SETTLE, [result_id, claim_.record_id])


def result_of(*, shop_id: int, key: str, operation: str) -> int | None:
    """The id of what the key's first `operation` made, if the key was used for it."""
    record = IdempotencyRecord.objects.filter(shop_id=shop_id, key=key, operation=operation)
    return record.values_list("result_id", flat=True).first()
