"""The web panel's routers and the app hooks it needs (static files, HTML error pages).

`botdesk.api.app` includes `routers` and calls `setup_app` when this module exists.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles

from botdesk.panel.deps import LoginRequired, PanelError, redirect, render
from botdesk.panel.pages import account, ais, auth, chats, dashboard, integrations, setup, tasks

STATIC = Path(__file__).parent / "static"

routers = [
    auth.router,
    chats.router,
    *setup.routers,
    ais.router,
    integrations.router,
    tasks.router,
    account.router,
    dashboard.router,
]


def setup_app(app: FastAPI) -> None:
    app.mount("/panel/static", StaticFiles(directory=STATIC), name="panel-static")

    @app.exception_handler(LoginRequired)
    async def _login(_: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return redirect(f"/panel/login?next={quote(exc.next_url, safe='/')}")

    @app.exception_handler(PanelError)
    async def _error(request: Request, exc: PanelError) -> Response:
        return render(request, "error.html", exc.status, ctx=None, message=exc.message)
