"""`Idempotency-Key` on every write: the same key and request give the first response again.

`run_once` opens the write's transaction and, as its first statement, inserts the key with the
fingerprint of the request (method, path, canonical JSON body) into `api_request`, `ON CONFLICT
DO NOTHING`. Then the service runs, inside that transaction (the ledger's use cases join it), and
the response (status and body) is stored in the same row before commit, with the audit event of
the call (one statement on PostgreSQL: `inserts.create_after`). So a response exists exactly
when its write was committed:

- a retry of a committed request finds the row and gets the stored response, byte for byte;
- a retry that arrives while the first is still running waits on PostgreSQL for the first
  transaction (the unique index), then finds its row; on SQLite writers are serialised anyway;
- a refused request (a `Refusal`) or a failed one rolls back everything, the claim included:
  nothing is left, and a retry runs again;
- the same key with another request is 409 `idempotency_key_reused`.

The ledger's own idempotency keys are derived from it (`api:<key id>:<Idempotency-Key>`), so the
ledger's guarantees hold too.
"""

import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from ardoise.api.auth import Caller
from ardoise.api.errors import ApiError
from ardoise.api.models import ApiRequest
from ardoise.audit.services import record_event
from ardoise.core import cursors

HEADER = "Idempotency-Key"
_KEY = re.compile(r"[\x21-\x7e]{1,64}")

CLAIM = (
    "INSERT INTO api_request (shop_id, api_key_id, idempotency_key, fingerprint, response, "
    "created_at) VALUES (%s, %s, %s, %s, '', %s) "
    "ON CONFLICT (shop_id, api_key_id, idempotency_key) DO NOTHING RETURNING id"
)

CONTENT_TYPE = "application/json; charset=utf-8"  # as django-ninja's own responses
STORE = "UPDATE api_request SET status_code = %s, response = %s WHERE id = %s"

Work = Callable[[str], tuple[int, dict[str, Any], Any]]


def request_key(request: HttpRequest) -> str:
    key = request.headers.get(HEADER, "").strip()
    if not _KEY.fullmatch(key):
        raise ApiError(400, "idempotency_key_required", field=HEADER)
    return key


def whole_body(request: HttpRequest) -> bytes:
    """The body, refused when shorter than its Content-Length: the client hung up halfway
    through sending it. Run, what arrived would claim the key with a fingerprint that is not
    the request's, and the client's retry of the whole request would be refused as another
    (a body that should be JSON fails to parse anyway; an operation that reads no body would
    not notice)."""
    body = request.body
    try:
        announced = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        announced = 0
    if len(body) < announced:
        raise ApiError(400, "incomplete_body")
    return body


def fingerprint(request: HttpRequest) -> str:
    try:
        body: Any = json.loads(request.body or b"null")
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = request.body.decode("utf-8", errors="replace")
    text = f"{request.method}\n{request.path}\n{canonical}"
    return hashlib.sha256(text.encode()).hexdigest()


def ledger_key(caller: Caller, key: str) -> str:
    return f"api:{caller.key_id}:{key}"


def _response(status: int, text: str, *, replayed: bool) -> HttpResponse:
    response = HttpResponse(text, status=status, content_type=CONTENT_TYPE)
    if replayed:
        response["Idempotent-Replayed"] = "true"
    return response


def run_once(request: HttpRequest, caller: Caller, work: Work) -> HttpResponse:
    """Run `work(ledger_key)` at most once per key; it returns (status, body, audit target)."""
    key = request_key(request)
    digest = fingerprint(request)
    with transaction.atomic(durable=True):
        with cursors.statement() as cursor:
            cursor.execute(CLAIM, [caller.shop_id, caller.key_id, key, digest, timezone.now()])
            claimed = cursor.fetchone()
        if claimed is None:
            first = ApiRequest.objects.get(
                shop_id=caller.shop_id, api_key_id=caller.key_id, idempotency_key=key
            )
            if first.fingerprint != digest or first.status_code is None:
                raise ApiError(409, "idempotency_key_reused", field=HEADER)
            setattr(request, "_ardoise_api_audited", True)  # noqa: B010 - audited the first time
            return _response(first.status_code, first.response, replayed=True)
        setattr(request, "_ardoise_api_audited", True)  # noqa: B010 - the middleware reads it
        status, payload, target = work(ledger_key(caller, key))
        text = json.dumps(payload, ensure_ascii=False)
        record_event(  # with the response stored, in one round trip on PostgreSQL
            shop_id=caller.shop_id,
            actor_id=None,
            action="api.call",
            target=target,
            data=call_data(request, caller, status),
            after=(STORE, [status, text, claimed[0]]),
        )
    return _response(status, text, replayed=False)


def call_data(request: HttpRequest, caller: Caller, status: int) -> dict[str, Any]:
    return {
        "api_key": caller.name,
        "api_key_id": caller.key_id,
        "method": request.method,
        "path": request.path,
        "status": status,
    }
