"""Errors as the seed's clients expect them: a status code and a message naming the field."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from botdesk.webhooks.service import NotFoundError


class ApiError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class NotFound(ApiError):
    def __init__(self, what: str) -> None:
        super().__init__(404, f"{what}: not found")


def error_body(message: str, details: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": "error", "message": message}
    if details:
        body["errors"] = details
    return body


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path")]
    return ".".join(parts) or "body"


def _describe(error: dict[str, Any]) -> str:
    kind = error.get("type", "")
    field = _field(tuple(error.get("loc", ())))
    if kind == "missing":
        return f"{field}: field required"
    if kind == "string_type":
        return f"{field}: must be a string"
    if kind in ("int_type", "int_parsing"):
        return f"{field}: must be an integer"
    if kind in ("float_type", "float_parsing"):
        return f"{field}: must be a number"
    if kind in ("bool_type", "bool_parsing"):
        return f"{field}: must be a boolean"
    if kind == "json_invalid":
        return "body: invalid JSON"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{field}: must be a JSON object"
    return f"{field}: {error.get('msg', 'invalid')}"


def validation_body(errors: Sequence[Any]) -> dict[str, Any]:
    """The 400 body for pydantic's errors: one message naming each field, and the details."""
    messages = [_describe(e) for e in errors]
    details = [
        # Unreadable JSON is the body's fault, wherever the parser stopped.
        {
            "field": "body" if e.get("type") == "json_invalid" else _field(tuple(e.get("loc", ()))),
            "message": m,
        }
        for e, m in zip(errors, messages, strict=True)
    ]
    return error_body("; ".join(messages), details)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        return JSONResponse(error_body(exc.message), status_code=exc.status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(validation_body(exc.errors()), status_code=400)

    @app.exception_handler(NotFoundError)
    async def _not_found(_: Request, exc: NotFoundError) -> JSONResponse:
        # The webhook service names what it did not find among the company's rows.
        return JSONResponse(error_body(f"{exc}: not found"), status_code=404)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(str(exc.detail)), status_code=exc.status_code)
