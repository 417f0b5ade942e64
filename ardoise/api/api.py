"""The JSON API, version 1: `/api/v1/`, its OpenAPI 3.1 schema at `/api/v1/openapi.json`.

Every operation needs an API key (`Authorization: Bearer <key>`, `ardoise.api.auth`) and the
scope of the permission it uses; every error is the one body of `ardoise.api.errors`. The
documentation page (`/api/v1/docs`) is rendered here from the schema, with no script and no
asset from another site, so it works offline and under the site's Content-Security-Policy.
"""

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_noop
from ninja import NinjaAPI, renderers
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.responses import NinjaJSONEncoder
from pydantic_core import to_jsonable_python

from ardoise.api.auth import ApiKeyAuth
from ardoise.api.endpoints import checkout, customers, money, orders
from ardoise.api.errors import NUL_CHARACTER, ApiError, body, refusal_body, refusal_status
from ardoise.core.errors import Refusal
from ardoise.statements.errors import StatementError

logger = logging.getLogger(__name__)

# The intro of the schema and of the documentation page: a paragraph, then a list of points,
# each one msgid (`gettext_noop`: the schema stays in English, `docs.py` translates the page).
INTRO = gettext_noop("Customer accounts over HTTP, for tills, web shops and accountants.")
POINTS = (
    gettext_noop(
        "Authentication: `Authorization: Bearer <key>`; keys are created in Settings → API, "
        "each with its scopes (the permissions of a staff role)."
    ),
    gettext_noop(
        'Amounts are strings of decimals in the currency\'s unit (`"12.50"`), always with the '
        "currency code; a JSON number is refused."
    ),
    gettext_noop(
        "Every write needs an `Idempotency-Key` header: the same key and body give the first "
        "response again (`Idempotent-Replayed: true`); the same key with another body is 409."
    ),
    gettext_noop("Lists are paginated by cursor: pass the page's `next_cursor` as `cursor`."),
    gettext_noop("Rate limit per key: past it, 429 with `Retry-After` (seconds)."),
    gettext_noop(
        'Errors: `{"error": {"code", "message", "field"}}`; the message is in the language of '
        "`Accept-Language` (French or English)."
    ),
)
DESCRIPTION = "\n\n".join([INTRO, "\n".join(f"* {point}" for point in POINTS)]) + "\n"


class JSONEncoder(NinjaJSONEncoder):
    """Dates and times as pydantic writes them (`present.dump`), to the microsecond: a read
    gives a customer's `created_at` as its creation's answer did, not cut to milliseconds as
    Django's encoder would."""

    def default(self, o: Any) -> Any:
        if isinstance(o, dt.datetime | dt.date | dt.time):
            return to_jsonable_python(o)
        return super().default(o)


class JSONRenderer(renderers.JSONRenderer):
    """UTF-8 JSON, as RFC 8259 has it: "Hélène", "€" and the French messages as they are,
    not as \\u escapes (the stored responses of `run_once` are written the same way)."""

    encoder_class = JSONEncoder
    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    renderer=JSONRenderer(),
    title="Ardoise",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=ApiKeyAuth(),
    docs_url=None,
    openapi_url="/openapi.json",
)
api.add_router("", customers.router)
api.add_router("", money.router)
api.add_router("", orders.router)
api.add_router("", checkout.router)


def _json(request: HttpRequest, status: int, payload: dict[str, Any]) -> HttpResponse:
    return api.create_response(request, payload, status=status)


@api.exception_handler(ApiError)
def api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    response = _json(request, error.status, body(error.code, error.text(), error.field))
    if error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    if error.status == 401:  # RFC 9110: a 401 names the scheme it takes; RFC 6750 the error
        challenge = 'Bearer realm="Ardoise API"'
        if error.code == "invalid_api_key":
            challenge += ', error="invalid_token"'
        response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(Refusal)
def refusal(request: HttpRequest, error: Refusal) -> HttpResponse:
    return _json(request, refusal_status(error), refusal_body(error))


@api.exception_handler(StatementError)
def statement_error(request: HttpRequest, error: StatementError) -> HttpResponse:
    return _json(request, 422, refusal_body(error))


@api.exception_handler(Http404)
def not_found(request: HttpRequest, error: Http404) -> HttpResponse:
    return api_error(request, ApiError(404, "not_found"))


@api.exception_handler(RequestDataTooBig)
def too_large(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return api_error(request, ApiError(413, "body_too_large"))


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    return api_error(request, ApiError(401, "api_key_required"))


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    if error.status_code == 400:
        return api_error(request, ApiError(400, "malformed_body"))
    return api_error(request, ApiError(error.status_code, "invalid_value", message=str(error)))


@api.exception_handler(ValidationError)
def invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    return api_error(request, _validation_error(error.errors))


AMOUNT_FIELDS = frozenset({"amount", "vat_amount", "credit_limit", "to_account"})


def _validation_error(errors: list[dict[str, Any]]) -> ApiError:
    """The first problem of the request, named by its field (`lines.0.quantity`)."""
    first = errors[0] if errors else {}
    location = [str(part) for part in first.get("loc", ())]
    # ("body", "payload", "amount") or ("query", "limit"): the field's path after its source.
    source, *rest = location or ["body"]
    if source == "body" and rest[:1] == ["payload"]:
        rest = rest[1:]
    field = ".".join(rest) or None
    kind = str(first.get("type", ""))
    if kind == "missing" and source == "body" and field is None:
        return ApiError(400, "malformed_body")  # an empty body: not even "{}"
    if kind == "missing":
        return ApiError(400, "field_required", field=field)
    if kind == "extra_forbidden":
        return ApiError(400, "unknown_field", field=field)
    if field == "cursor":
        return ApiError(400, "invalid_cursor", field=field)
    if kind == "nul_character":
        return ApiError(400, "invalid_value", field=field, message=NUL_CHARACTER)
    if rest and rest[-1] in AMOUNT_FIELDS and kind in {"string_type", "string_pattern_mismatch"}:
        code = "amount_not_string" if kind == "string_type" else "invalid_amount"
        return ApiError(400, code, field=field)
    return ApiError(400, "invalid_value", field=field)
