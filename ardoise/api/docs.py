"""The API's documentation page: the OpenAPI schema rendered on the server, no script, no CDN."""

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from ardoise.api.api import api

METHODS = ("get", "post", "put", "patch", "delete")


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
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            found.append(
                {
                    "id": operation.get("operationId", f"{method}-{path}"),
                    "method": method.upper(),
                    "path": path,
                    "summary": operation.get("summary", ""),
                    "tags": operation.get("tags", []),
                    "parameters": [
                        {
                            "name": parameter["name"],
                            "where": parameter["in"],
                            "required": parameter.get("required", False),
                            "type": _schema_name(parameter.get("schema", {})),
                        }
                        for parameter in operation.get("parameters", [])
                    ],
                    "body": _schema_name(body["schema"]) if body else "",
                    "responses": [
                        {"status": status, "description": answer.get("description", "")}
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
                "description": spec.get("description", ""),
                "pattern": spec.get("pattern", ""),
            }
            for field, spec in component.get("properties", {}).items()
        ]
        rows.append({"name": name, "fields": fields})
    return rows


def documentation(request: HttpRequest) -> HttpResponse:
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    context = {
        "info": schema.get("info", {}),
        "operations": _operations(schema),
        "components": _components(schema),
        "schema_url": "/api/v1/openapi.json",
    }
    return render(request, "api/docs.html", context)
