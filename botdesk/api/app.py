"""The ASGI application: routes, error handlers, body limit, health and metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import ASGIApp

from botdesk.api import presenters
from botdesk.api.errors import install_error_handlers
from botdesk.api.fastpath import SendMessageFastPath
from botdesk.api.limits import BodySizeLimit
from botdesk.api.openapi import document
from botdesk.api.routes import deliveries, public, setup, threads
from botdesk.core.config import Settings, get_settings
from botdesk.db.engine import Database
from botdesk.dialogs.ingest import GroupCommitter
from botdesk.panel import routes as panel
from botdesk.widget import routes as widget

NO_TELEMETRY: Any = {"tracing": False, "metrics": False, "logs": False}


def _register_listeners() -> None:
    """Handlers that run inside the transaction of every new message (e.g. schedule the AI's
    answer); every process that writes messages needs them, API processes included."""
    import botdesk.ai.scheduling  # noqa: F401


class Botdesk(FastAPI):
    """FastAPI, with `send_message_external` answered ahead of its middleware (api.fastpath)."""

    def build_middleware_stack(self) -> ASGIApp:
        stack = super().build_middleware_stack()
        settings: Settings = self.state.settings
        if not settings.fast_path:
            return stack
        return SendMessageFastPath(
            stack, db=self.state.db, ingest=self.state.ingest, max_bytes=settings.max_body_bytes
        )


def create_app(settings: Settings | None = None, *, db: Database | None = None) -> FastAPI:
    settings = settings or get_settings()
    _register_listeners()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await app.state.ingest.close()
        if owns_db:
            await app.state.db.dispose()

    owns_db = db is None
    app = Botdesk(
        title="botdesk",
        version="0.1.0",
        description="Seed-compatible messenger API (`/api/1.1/wf/*`) and management API (`/v1`).",
        lifespan=lifespan,
        # No OpenTelemetry here (metrics are Prometheus at /metrics); its per-request checks
        # cost about a tenth of a request's CPU.
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.db = db or Database(settings)
    app.state.ingest = GroupCommitter(
        app.state.db,
        group_max=settings.group_commit_max,
        parallel=settings.groups_in_flight,
        present=presenters.seed_thread,
    )
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
    install_error_handlers(app)
    app.include_router(public.router)
    for router in setup.routers:
        app.include_router(router)
    app.include_router(threads.router)
    app.include_router(deliveries.router)
    for router in panel.routers:
        app.include_router(router)
    panel.setup_app(app)
    app.include_router(widget.router)
    widget.setup_app(app)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_body_bytes,
        larger={"/panel": settings.max_form_bytes},
    )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
