"""The API's documentation page: the OpenAPI schema rendered on the server, no script, no CDN.

The schema (`/api/v1/openapi.json`) stays in English whatever the caller's language: it is what
tools read, and a client generated from it must not change with `Accept-Language`. Its texts
(summaries, tags, the intro, field, parameter and response descriptions) are marked with
`gettext_noop` where they are written, and this page translates them as it renders them, so it
speaks the reader's language (French or English).
"""

import re
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext_lazy

from ardoise.api.api import api

METHODS = ("get", "post", "put", "patch", "delete")

# The responses' descriptions: django-ninja writes the reason phrases of `http.client.responses`.
STATUS_TEXTS: dict[str, Promise] = {
    "OK": pgettext_lazy("HTTP status", "OK"),
    "Created": pgettext_lazy("HTTP status", "Created"),
    "Bad Request": pgettext_lazy("HTTP status", "Bad Request"),
    "Unauthorized": pgettext_lazy("HTTP status", "Unauthorized"),
    "Forbidden": pgettext_lazy("HTTP status", "Forbidden"),
    "Not Found": pgettext_lazy("HTTP status", "Not Found"),
    "Conflict": pgettext_lazy("HTTP status", "Conflict"),
    "Request Entity Too Large": pgettext_lazy("HTTP status", "Request Entity Too Large"),
    "Unprocessable Entity": pgettext_lazy("HTTP status", "Unprocessable Entity"),
    "Too Many Requests": pgettext_lazy("HTTP status", "Too Many Requests"),
}

CODE = re.compile(r"`([^`]+)`")


def _text(text: str) -> str:
    """A text of the schema in the reader's language (itself when it has no translation)."""
    return _(text) if text else ""


def _status_text(text: str) -> str:
    phrase = STATUS_TEXTS.get(text)
    return str(phrase) if phrase is not None else _text(text)


def _inline(text: str) -> SafeString:
    """Escaped text, `code` in backquotes as <code>."""
    return mark_safe(CODE.sub(r"<code>\1</code>", escape(text)))  # noqa: S308 (escaped above)


def _intro(description: str) -> list[dict[str, Any]]:
    """The schema's description as blocks: a paragraph, or a list when every line is `* point`.
    Each paragraph and each point is one msgid (see `ardoise.api.api.POINTS`)."""
    blocks: list[dict[str, Any]] = []
    for block in re.split(r"\n\s*\n", description.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and all(line.startswith("* ") for line in lines):
            blocks.append({"points": [_inline(_text(line[2:])) for line in lines]})
        elif lines:
            blocks.append({"paragraph": _inline(_text(" ".join(lines)))})
    return blocks


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref", "")
    if ref:
        return str(ref.rsplit("/", 1)[-1])
    if schema.get("type") == "array":
        return _("list of %(type)s") % {"type": _schema_name(schema.get("items", {}))}
    if "anyOf" in schema:  # `str | None`: "string | null"
        return " | ".join(_schema_name(option) for option in schema["anyOf"])
    return str(schema.get("type") or schema.get("format") or "")


def _operations(schema: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for path, item in schema.get("paths", {}).items():
        for method in METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            parameters = [
                {
                    "name": parameter["name"],
                    "where": parameter["in"],
                    "required": parameter.get("required", False),
                    "type": _schema_name(parameter.get("schema", {})),
                    "description": _text(parameter.get("description", "")),
                }
                for parameter in operation.get("parameters", [])
            ]
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": _text(operation.get("summary", "")),
                    "tag": _text(next(iter(operation.get("tags", [])), "")),
                    "parameters": parameters,
                    "described": [
                        parameter for parameter in parameters if parameter["description"]
                    ],
                    "body": _schema_name(body["schema"]) if body else "",
                    "responses": [
                        {
                            "status": status,
                            "description": _status_text(answer.get("description", "")),
                        }
                        for status, answer in operation.get("responses", {}).items()
                    ],
                    "writes": method != "get",
                }
            )
    return found


def _components(schema: dict[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for name, component in schema.get("components", {}).get("schemas", {}).items():
        required = set(component.get("required", []))
        fields = [
            {
                "name": field,
                "type": _schema_name(spec),
                "required": field in required,
                "description": _text(spec.get("description", "")),
                "pattern": spec.get("pattern", ""),
            }
            for field, spec in component.get("properties", {}).items()
        ]
        rows.append({"name": name, "fields": fields})
    return rows


def _groups(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The operations by tag, in the schema's order, for the list beside the page."""
    groups: list[dict[str, Any]] = []
    for operation in operations:
        if not groups or groups[-1]["tag"] != operation["tag"]:
            groups.append({"tag": operation["tag"], "operations": []})
        groups[-1]["operations"].append(operation)
    return groups


def documentation(request: HttpRequest) -> HttpResponse:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    info = schema.get("info", {})
    operations = _operations(schema)
    context = {
        "info": info,
        "intro": _intro(info.get("description", "")),
        "operations": operations,
        "groups": _groups(operations),
        "components": _components(schema),
        "schema_url": "/api/v1/openapi.json",
    }
    return render(request, "api/docs.html", context)
