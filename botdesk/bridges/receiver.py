"""The bridge's side of botdesk's webhooks: register an `all_messages` integration on the task
(once; its secret is kept in the state file), then accept signed webhooks over aiohttp.

A webhook is answered 200 only after its messages are queued on disk, so botdesk's retries and
the bridge's restarts neither lose nor repeat a reply; repeated webhook ids are acknowledged
and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from aiohttp import web

from botdesk.bridges.state import BridgeState, Outgoing
from botdesk.client import AsyncClient, BotdeskError, WebhookVerificationError, verify_webhook

if TYPE_CHECKING:
    from botdesk.bridges.telegram import TelegramBridgeConfig

log = logging.getLogger("botdesk.bridges.receiver")

WEBHOOK_PATH = "/botdesk-webhook"
INTEGRATION_NAME = "Telegram bridge"
# Longest text Telegram accepts in one message, in characters; longer replies are split.
TEXT_LIMIT = 4096
RELAYED_TYPES = ("bot", "operator")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line break or space when possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n", 0, limit), text.rfind(" ", 0, limit))
        cut = cut if cut > limit // 2 else limit
        pieces.append(text[:cut])
        text = text[cut:].lstrip("\n ")
    return [*pieces, text] if text else pieces


class WebhookReceiver:
    def __init__(
        self,
        state: BridgeState,
        config: TelegramBridgeConfig,
        client: AsyncClient,
        wake: asyncio.Event,
    ) -> None:
        self.state = state
        self.config = config
        self.client = client
        self.wake = wake
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        base = (
            self.config.public_url or f"http://{self.config.listen_host}:{self.config.listen_port}"
        )
        return base.rstrip("/") + WEBHOOK_PATH

    async def ensure_integration(self) -> None:
        """Make sure botdesk sends this task's messages here, signed with a secret we hold."""
        if self.config.webhook_secret:
            self.state.webhook_secret = self.config.webhook_secret
            return
        task_id = self.config.task_id
        if self.state.integration_id and self.state.webhook_url == self.url:
            try:
                await self.client.integrations.get(self.state.integration_id)
                await self._attach(task_id, self.state.integration_id)
                return
            except BotdeskError as exc:
                if exc.status != 404:
                    raise
        if self.state.integration_id:
            await self._forget(task_id, self.state.integration_id)
        made = await self.client.integrations.create(
            name=INTEGRATION_NAME, webhook_url=self.url, webhook_type="all_messages"
        )
        self.state.integration_id = made["id"]
        self.state.webhook_secret = made["secret"]
        self.state.webhook_url = self.url
        self.state.save()
        await self._attach(task_id, made["id"])
        log.info("registered integration %s -> %s", made["id"], self.url)

    async def _attach(self, task_id: str, integration_id: str) -> None:
        task = await self.client.tasks.get(task_id)
        if integration_id not in task["integration_ids"]:
            ids = [*task["integration_ids"], integration_id]
            await self.client.tasks.update(task_id, integration_ids=ids)

    async def _forget(self, task_id: str, integration_id: str) -> None:
        """Detach and delete the integration of an earlier run that used another URL."""
        try:
            task = await self.client.tasks.get(task_id)
            ids = [i for i in task["integration_ids"] if i != integration_id]
            await self.client.tasks.update(task_id, integration_ids=ids)
            await self.client.integrations.delete(integration_id)
        except BotdeskError as exc:
            log.warning("could not remove old integration %s: %s", integration_id, exc)

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        try:
            event = verify_webhook(request.headers, body, self.state.webhook_secret)
        except WebhookVerificationError as exc:
            log.warning("refused a webhook: %s (secret rotated? pass --webhook-secret)", exc)
            return web.json_response({"error": str(exc)}, status=400)
        if (
            not isinstance(event, dict)
            or event.get("wh_type") != "all_messages"
            or event.get("message_type") not in RELAYED_TYPES
            or event.get("task_id") != self.config.task_id
        ):
            return web.json_response({"status": "ignored"})
        webhook_id = request.headers["webhook-id"]
        chat_id = str(event.get("external_chat_id", ""))
        items = [
            Outgoing(webhook_id=webhook_id, chat_id=chat_id, text=piece)
            for piece in split_text(str(event.get("message_text", "")))
        ]
        if not self.state.accept(webhook_id, items):
            return web.json_response({"status": "duplicate"})
        self.state.save()
        self.wake.set()
        return web.json_response({"status": "queued"})

    async def start(self) -> None:
        app = web.Application(client_max_size=1024 * 1024)
        app.router.add_post(WEBHOOK_PATH, self.handle)
        app.router.add_get("/healthz", lambda _: web.json_response({"status": "ok"}))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.listen_host, self.config.listen_port)
        await site.start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
