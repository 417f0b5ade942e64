"""Links for list pages: keep the current search and filter, change one parameter."""

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.simple_tag(takes_context=True)
def query_url(context: dict[str, Any], **changes: Any) -> str:
    """`?q=...&sort=balance`: the current query string with `changes` applied (None removes)."""
    params = context["request"].GET.copy()
    for name, value in changes.items():
        if value in (None, ""):
            params.pop(name, None)
        else:
            params[name] = value
    if "page" not in changes:
        params.pop("page", None)
    encoded = params.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context: dict[str, Any], field: str, label: str, css: str = "") -> SafeString:
    """A column header that sorts by `field`, and by `-field` when it already does."""
    current = context["query"].sort
    if current == field:
        target, state, arrow = f"-{field}", "ascending", " ▲"
    elif current == f"-{field}":
        target, state, arrow = field, "descending", " ▼"
    else:
        target, state, arrow = field, "none", ""
    url = query_url(context, sort=target)
    return format_html(
        '<th class="{}" aria-sort="{}"><a href="{}" data-sort="{}">{}{}</a></th>',
        css,
        state,
        url,
        field,
        label,
        arrow,
    )
