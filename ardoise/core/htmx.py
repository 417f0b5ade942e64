"""HTMX, the one way: is this request HTMX, which element will it swap, reload the page.

`django_htmx.middleware.HtmxMiddleware` sets `request.htmx`; a request that did not pass through
it (a test's RequestFactory, a management command) reads as a plain request. Views build the full
page first and serve a named partial only when `htmx_target` (or `is_htmx`) says so.
"""

from django.http import HttpRequest, HttpResponse


def is_htmx(request: HttpRequest) -> bool:
    """True for a request made by HTMX (its `HX-Request` header), False for a plain one."""
    return bool(getattr(request, "htmx", False))


def htmx_target(request: HttpRequest) -> str | None:
    """The id of the element an HTMX request will swap; None for a plain request."""
    details = getattr(request, "htmx", None)
    if not details:
        return None
    target = details.target
    return str(target) if target is not None else None


def refresh_page() -> HttpResponse:
    """An empty answer that tells HTMX to reload the whole page (`HX-Refresh`)."""
    return HttpResponse(status=204, headers={"HX-Refresh": "true"})
