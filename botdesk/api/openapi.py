"""The OpenAPI document as the API really answers: errors are 400 (not FastAPI's default
422) with botdesk's error body, and 401 / 404 / 409 / 413 are listed where they can happen."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "message"],
    "properties": {
        "status": {"type": "string", "enum": ["error"]},
        "message": {"type": "string", "description": "<field>: what is wrong"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
_ERROR = {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
WHY = {
    "400": "Bad input; the message names the field",
    "401": "Missing, invalid or expired bearer token or API key",
    "404": "No such object in your company",
    "409": "The change conflicts with other objects (e.g. still used by a task)",
    "413": "Body larger than the limit",
}


def document(app: FastAPI) -> dict[str, Any]:
    """Build (once) and return the corrected document."""
    if app.openapi_schema:
        return app.openapi_schema
    spec = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    schemas["Error"] = ERROR_SCHEMA
    for path, operations in spec.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            responses.pop("422", None)
            codes = ["400"]
            if operation.get("security") or path.endswith("/auth"):
                codes.append("401")
            if "{" in path or operation.get("security"):
                codes.append("404")
            if method in ("patch", "delete"):
                codes.append("409")
            if "requestBody" in operation:
                codes.append("413")
            for code in codes:
                responses.setdefault(code, {"description": WHY[code], **_ERROR})
    app.openapi_schema = spec
    return spec
