"""The Content-Security-Policy every response carries.

Scripts come from this site only: no inline script, no `on…=` attribute, no eval (the pages'
small behaviours are static files, HTMX included). Styles may be inline: the documents (invoice,
receipt, statement) carry their own `<style>` so that they print and render as PDFs alone, and a
style cannot run code. Images may be `data:` URIs (the shop's logo on statements). No other site
may frame a page. `form-action` is left open on purpose: paying a statement posts here and is
redirected to the provider's hosted checkout, and browsers apply `form-action` to that redirect.
A view may set its own header first.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    )
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", POLICY)
        return response
