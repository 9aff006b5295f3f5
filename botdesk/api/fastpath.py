"""`send_message_external` served straight from ASGI, ahead of FastAPI's middleware and routing.

It is the one route every messenger calls for every message, so it skips what the others pay
for: five middleware layers, the router's walk over a hundred routes, dependency injection and
response-model checks. It keeps what matters: the same request model (`SendMessageIn`,
strict), the same bearer check (`deps.company_of`), the same body limit and errors naming the
field, and the same group commit. The FastAPI route of the same path stays registered: it
documents the endpoint in `/openapi.json` and serves it when this layer is switched off
(`BOTDESK_FAST_PATH=false`).
"""

from __future__ import annotations

import logging
from typing import Any

import orjson
from pydantic import ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from botdesk.api.deps import company_of
from botdesk.api.errors import ApiError, error_body, validation_body
from botdesk.api.limits import too_large
from botdesk.api.routes.public import PATH_SEND_MESSAGE, SendMessageIn, accept_message
from botdesk.db.engine import Database
from botdesk.dialogs.ingest import GroupCommitter

_JSON = [(b"content-type", b"application/json")]


log = logging.getLogger("botdesk.api")


class SendMessageFastPath:
    """Pure ASGI wrapper: answers `POST /api/1.1/wf/send_message_external` itself."""

    def __init__(
        self, app: ASGIApp, *, db: Database, ingest: GroupCommitter, max_bytes: int
    ) -> None:
        self.app = app
        self.db = db
        self.ingest = ingest
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH_SEND_MESSAGE:
            await self.app(scope, receive, send)
            return
        if scope["method"] != "POST":
            await self.app(scope, receive, send)  # FastAPI answers 405 with its Allow header
            return
        try:
            status, body = 200, await self._handle(scope, receive)
        except ApiError as exc:
            status, body = exc.status, error_body(exc.message)
        except _Invalid as exc:
            status, body = 400, validation_body(exc.errors)
        except ConnectionAbortedError:
            return  # the client left before sending its body: nothing was stored
        except Exception:  # the error middleware is not around this layer: answer 500 here
            log.exception("send_message_external failed")
            status, body = 500, error_body("internal error")
        await _respond(send, status, body)

    async def _handle(self, scope: Scope, receive: Receive) -> dict[str, Any]:
        headers = dict(scope["headers"])
        raw = await _read_body(receive, headers, self.max_bytes)
        # The same order as FastAPI's routes: unreadable JSON first, then auth, then fields.
        errors: list[Any] | None = None
        body: SendMessageIn | None = None
        if not raw:
            errors = [{"type": "missing", "loc": ("body",), "msg": "Field required"}]
        elif not _is_json(headers.get(b"content-type", b"")):
            errors = [{"type": "model_attributes_type", "loc": ("body",), "msg": "not JSON"}]
        else:
            try:
                body = SendMessageIn.model_validate_json(raw)
            except ValidationError as exc:
                errors = exc.errors(include_url=False)
                if any(e["type"] == "json_invalid" for e in errors):
                    raise _Invalid(errors) from None
        scheme, _, credential = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        company_id = await company_of(self.db, credential if scheme.lower() == "bearer" else "")
        if errors is not None or body is None:
            raise _Invalid(errors or [])
        return await accept_message(self.ingest, company_id, body)


class _Invalid(Exception):
    def __init__(self, errors: list[Any]) -> None:
        self.errors = errors


def _is_json(content_type: bytes) -> bool:
    media = content_type.split(b";", 1)[0].strip().lower()
    return media == b"application/json" or (
        media.startswith(b"application/") and media.endswith(b"+json")
    )


async def _read_body(receive: Receive, headers: dict[bytes, bytes], limit: int) -> bytes:
    declared = headers.get(b"content-length", b"")
    if declared.isdigit() and int(declared) > limit:
        raise ApiError(413, too_large(limit))
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionAbortedError("client went away before sending the body")
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise ApiError(413, too_large(limit))
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(send: Send, status: int, body: dict[str, Any]) -> None:
    # The same bytes as Starlette's JSONResponse (compact, UTF-8), a good deal faster.
    data = orjson.dumps(body)
    headers = [*_JSON, (b"content-length", str(len(data)).encode())]
    if status == 401:
        headers.append((b"www-authenticate", b"Bearer"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": data})
