"""Every successful API call is in the audit log with the key's name.

A write records its `api.call` event itself, in the write's transaction (`run_once`); this
middleware records the others (reads, statements) after the response, one INSERT each. Refused
calls are not recorded: a refused request leaves nothing behind.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from ardoise.api.auth import Caller
from ardoise.api.idempotency import call_data
from ardoise.audit.services import record_event

AUDITED = "_ardoise_api_audited"


class ApiAuditMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        caller = getattr(request, "caller", None)
        if (
            isinstance(caller, Caller)
            and response.status_code < 400
            and not getattr(request, AUDITED, False)
        ):
            record_event(
                shop_id=caller.shop_id,
                actor_id=None,
                action="api.call",
                data=call_data(request, caller, response.status_code),
            )
        return response
