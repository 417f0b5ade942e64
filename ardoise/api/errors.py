"""The API's error body, one shape for every refusal: `{"error": {"code", "message", "field"}}`.

`code` is stable (clients branch on it); `message` is in the caller's language (the
`Accept-Language` header, read by Django's LocaleMiddleware); `field` names the part of the
request at fault, or is null. Refusals of the domain (`core.errors.Refusal`, the statements'
errors) keep their own code and message; the API's own (authentication, scopes, idempotency,
validation) are `ApiError`. Statuses: 400 a request that cannot be read or lacks what it needs,
401 no valid key, 403 a key without the scope, 404 nothing of this shop with that id, 409 a
conflict with what already happened (an idempotency key used for another request, an entry
already reversed, an order already delivered), 422 a rule of the business said no (the credit
limit, an amount out of range), 413 a body above DATA_UPLOAD_MAX_MEMORY_SIZE, 429 the key's
rate limit.
"""

from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop
from ninja import Schema

from ardoise.core.errors import Refusal

MESSAGES: dict[str, Promise] = {
    "api_key_required": _("Send the API key in the Authorization header: Bearer <key>."),
    "invalid_api_key": _("This API key is not valid or has been revoked."),
    "scope_missing": _("This API key does not have the permission %(scope)s."),
    "rate_limited": _("Too many requests with this API key. Try again in %(retry_after)s s."),
    "not_found": _("Nothing with this id in this shop."),
    "idempotency_key_required": _(
        "This request writes: send an Idempotency-Key header of 1 to 64 characters."
    ),
    "idempotency_key_reused": _(
        "This Idempotency-Key was already used for a different request. Use a new key."
    ),
    "malformed_body": _("The body is not valid JSON."),
    "body_too_large": _("The body of the request is too large."),
    "incomplete_body": _("The body is shorter than its Content-Length. Send the request again."),
    "field_required": _("This field is required."),
    "unknown_field": _("This field is not part of this request: check its name."),
    "amount_not_string": _(
        'Send amounts as strings of decimals in the currency\'s unit, for example "12.50".'
    ),
    "invalid_amount": _('Enter an amount, for example "12.50".'),
    "amount_too_precise": _("This amount has more decimals than the currency."),
    "amount_too_large": _("This amount is too large."),
    "currency_mismatch": _("This shop's accounts are in %(currency)s."),
    "invalid_value": _("This value is not valid."),
    "invalid_cursor": _("This cursor is not valid: ask for the list again without it."),
    "no_account": _("This customer has no account yet."),
}

# Messages of `invalid_value` that say more than "not valid" (the code stays `invalid_value`).
VAT_ABOVE_TOTAL = _("The VAT cannot be more than the amount.")
TO_ACCOUNT_ABOVE_AMOUNT = _("The part refunded to the account cannot be more than the amount.")
NUL_CHARACTER = _("This text contains a NUL character, which cannot be stored.")

CONFLICTS = frozenset(
    {
        "idempotency_conflict",
        "already_reversed",
        "order_not_open",
        "settlement_already_reversed",
        "account_already_open",
        "another_order_open",
        "quote_changed",
    }
)

# The request field a refusal of the domain is about, for the error body's `field`.
REFUSAL_FIELDS = {
    "invalid_amount": "amount",
    "amount_too_large": "amount",
    "credit_limit_exceeded": "amount",
    "credit_note_too_large": "amount",
    "refund_must_go_to_account": "to_account",
    "refund_split_required": "to_account",
    "reason_required": "reason",
    "invalid_payment_mode": "mode",
    "mode_not_accepted": "mode",
    "mode_online_only": "mode",
    "received_on_out_of_range": "received_on",
    "invalid_date": "received_on",
    "invalid_credit_limit": "credit_limit",
    "invalid_line": "lines",
    "empty_order": "lines",
    "product_not_orderable": "items",
    "invalid_quantity": "items",
    "quote_changed": "expected_to_pay",
}


class ApiError(Exception):
    """A refusal of the API layer itself, with its status and stable code."""

    def __init__(
        self,
        status: int,
        code: str,
        *,
        field: str | None = None,
        retry_after: int | None = None,
        message: Any = None,
        **params: Any,
    ) -> None:
        self.status, self.code, self.field, self.retry_after = status, code, field, retry_after
        self.params = {**params, **({"retry_after": retry_after} if retry_after else {})}
        self.message = message
        super().__init__(code)

    def text(self) -> str:
        template = self.message if self.message is not None else MESSAGES[self.code]
        return str(template) % self.params if self.params else str(template)


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorBody(Schema):
    error: ErrorDetail


def body(code: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "field": field}}


def refusal_status(refusal: Refusal | Exception) -> int:
    return 409 if getattr(refusal, "code", "") in CONFLICTS else 422


def refusal_body(refusal: Exception) -> dict[str, Any]:
    code = str(getattr(refusal, "code", "refused"))
    return body(code, str(refusal), REFUSAL_FIELDS.get(code))


# The statuses every operation documents (200/201 aside): the same error body for each.
ERRORS: dict[int, type[ErrorBody]] = {
    status: ErrorBody for status in (400, 401, 403, 404, 409, 413, 422, 429)
}


# Every write documents its Idempotency-Key header (read by `ardoise.api.idempotency`).
WRITE: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": True,
            "description": gettext_noop(
                "1 to 64 printable ASCII characters, new for each new request."
            ),
            "schema": {"type": "string", "pattern": "^[!-~]{1,64}$"},
        }
    ]
}
