"""What a rendered page lets a person send: its forms, the HTMX requests its elements make, and
its links with a query string, each with the fields or parameters it carries and the kind of
value each holds (read from the markup: `type="date"`, `inputmode="decimal"`, a select...).

The walk reads every page it visits with `requests_on_page`, so a field added to a form, a
filter added to a list or a button added to a page is walked without anyone listing it.
"""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urljoin, urlsplit


@dataclass
class Request:
    """One request a page can make: method, path (no query), fields with their kinds and the
    values the page fills in, and the element HTMX swaps with the answer (if any)."""

    method: str
    path: str
    kinds: dict[str, str] = field(default_factory=dict)
    defaults: dict[str, list[str]] = field(default_factory=dict)
    htmx_target: str = ""

    def add(self, name: str, kind: str, value: str | None) -> None:
        if not name or name == "csrfmiddlewaretoken":
            return
        self.kinds.setdefault(name, kind)
        if value is not None:
            self.defaults.setdefault(name, []).append(value)


def kind_of(tag: str, attrs: dict[str, str]) -> str:
    """The kind of value a field holds, as the walk's corpus names it (tests/hardening/hostile)."""
    name = attrs.get("name", "")
    kind = attrs.get("type", "text").lower()
    if name == "week" or kind == "week":
        return "week"
    if kind == "date" or name in {"start", "end", "received_on", "day"}:
        return "date"
    if kind == "number" or attrs.get("inputmode") in {"decimal", "numeric"}:
        return "number"
    if name.startswith(("amount-", "amount", "quantity", "unit_price")):
        return "number"
    if tag == "select" or kind == "radio":
        return "choice"
    if kind == "checkbox":
        return "flag" if attrs.get("value", "on") == "on" else "choice"
    if kind == "file":
        return "file"
    if kind == "hidden":
        value = attrs.get("value", "")
        return "choice" if value.isascii() and value.isdigit() else "any"
    return "text"


class _Parser(HTMLParser):
    def __init__(self, page_path: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_path = page_path
        self.requests: list[Request] = []
        self.forms_by_id: dict[str, Request] = {}
        self.form: Request | None = None
        self.select: tuple[Request, str, bool, list[str], list[str]] | None = None
        self.textarea: str | None = None

    def _url(self, value: str) -> tuple[str, list[tuple[str, str]]]:
        parts = urlsplit(urljoin(self.page_path, value))
        return parts.path, parse_qsl(parts.query, keep_blank_values=True)

    def _new(self, method: str, url: str, htmx_target: str = "") -> Request:
        path, query = self._url(url)
        request = Request(method=method, path=path, htmx_target=htmx_target.lstrip("#"))
        for name, value in query:
            request.add(name, "any", value)
        self.requests.append(request)
        return request

    def handle_starttag(self, tag: str, attr_list: list[tuple[str, str | None]]) -> None:
        attrs = {name: value or "" for name, value in attr_list}
        if tag == "form":
            if attrs.get("hx-post"):
                method, url = "post", attrs["hx-post"]
            elif attrs.get("hx-get"):
                method, url = "get", attrs["hx-get"]
            else:
                method = attrs.get("method", "get").lower()
                url = attrs.get("action") or self.page_path
            self.form = self._new(method, url, attrs.get("hx-target", ""))
            if attrs.get("id"):
                self.forms_by_id[attrs["id"]] = self.form
            return
        if tag == "a" and ("?" in attrs.get("href", "") or "?" in attrs.get("hx-get", "")):
            self._new("get", attrs.get("hx-get") or attrs["href"], attrs.get("hx-target", ""))
            return
        if attrs.get("hx-post") and tag != "form":  # an element that posts its form by itself
            own = self._new("post", attrs["hx-post"])
            for name, value in json.loads(attrs.get("hx-vals") or "{}").items():
                own.add(name, "choice", str(value))
            if self.form is not None:
                own.kinds |= self.form.kinds
                own.defaults |= self.form.defaults
            self._field(tag, attrs, own)
        target = self.forms_by_id.get(attrs.get("form", "")) or self.form
        if target is not None:
            self._field(tag, attrs, target)

    def _field(self, tag: str, attrs: dict[str, str], target: Request) -> None:
        name = attrs.get("name", "")
        if tag == "input":
            kind_attr = attrs.get("type", "text").lower()
            checked = "checked" in attrs
            if kind_attr in {"checkbox", "radio"}:
                target.add(name, kind_of(tag, attrs), attrs.get("value", "on") if checked else None)
            elif kind_attr in {"submit", "image", "button", "reset"}:
                target.add(name, "choice", None)
            else:
                target.add(name, kind_of(tag, attrs), attrs.get("value", ""))
        elif tag == "button" and name:
            target.add(name, "choice", None)
        elif tag == "select":
            self.select = (target, name, "multiple" in attrs, [], [])
            target.add(name, "choice", None)
        elif tag == "option" and self.select is not None:
            self.select[3].append(attrs.get("value", ""))
            if "selected" in attrs:
                self.select[4].append(attrs.get("value", ""))
        elif tag == "textarea":
            self.textarea = name
            target.add(name, "text", None)

    def handle_data(self, data: str) -> None:
        if self.textarea and self.form is not None:
            self.form.defaults.setdefault(self.textarea, []).append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.form = None
        elif tag == "textarea":
            self.textarea = None
        elif tag == "select" and self.select is not None:
            target, name, multiple, options, selected = self.select
            chosen = selected or ([] if multiple else options[:1])
            target.defaults.setdefault(name, []).extend(chosen)
            self.select = None


def requests_on_page(html: str, page_path: str) -> list[Request]:
    """Every form, HTMX request and link with a query string of one page."""
    parser = _Parser(page_path)
    parser.feed(html)
    return parser.requests
