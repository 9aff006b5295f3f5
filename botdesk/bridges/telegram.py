"""The Telegram bridge: Telegram users talk to a botdesk task through a Telegram bot.

    Telegram --getUpdates--> bridge --send_message_external--> botdesk
    Telegram <--sendMessage-- bridge <--all_messages webhook--- botdesk

Users' messages are read by long polling (chat_id = the Telegram user id, title = their name);
`bot` and `operator` messages come back by botdesk's signed webhook and are queued in the state
file before the webhook is answered, then sent in order, waiting out 429 `retry_after`. The
update offset, accepted webhook ids and the queue survive restarts, so nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import httpx
from telegram import Bot, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter

from botdesk.bridges.receiver import WebhookReceiver
from botdesk.bridges.state import BridgeState
from botdesk.client import AsyncClient, BotdeskError

log = logging.getLogger("botdesk.bridges.telegram")

# Seconds Telegram holds a getUpdates call open waiting for news (long polling).
POLL_TIMEOUT = 25
# Waits after successive network failures, in seconds (the last one repeats).
BACKOFF = (1.0, 2.0, 5.0, 10.0, 30.0)
# botdesk answers that retrying cannot fix: the message itself is refused, so it is skipped.
UNFIXABLE = (400, 413, 422)


@dataclass(frozen=True)
class TelegramBridgeConfig:
    bot_token: str
    task_id: str
    api_key: str
    botdesk_url: str = "http://127.0.0.1:8000"
    state_file: Path = Path("telegram-bridge.json")
    listen_host: str = "127.0.0.1"
    listen_port: int = 8081
    # How botdesk reaches this bridge's webhook receiver (default: http://listen_host:port).
    public_url: str = ""
    # An existing integration's secret; when empty the bridge registers its own integration.
    webhook_secret: str = ""
    telegram_api_url: str = "https://api.telegram.org"
    poll_timeout: int = POLL_TIMEOUT


def retry_seconds(exc: RetryAfter) -> float:
    """RetryAfter.retry_after as seconds, whether PTB gives an int or a timedelta."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


@dataclass
class _Backoff:
    failures: int = 0
    delays: tuple[float, ...] = field(default=BACKOFF)

    def next(self) -> float:
        delay = self.delays[min(self.failures, len(self.delays) - 1)]
        self.failures += 1
        return delay


class TelegramBridge:
    def __init__(
        self,
        config: TelegramBridgeConfig,
        *,
        bot: Bot | None = None,
        client: AsyncClient | None = None,
    ) -> None:
        self.config = config
        self.state = BridgeState.load(config.state_file)
        api = config.telegram_api_url.rstrip("/")
        self.bot = bot or Bot(
            config.bot_token, base_url=f"{api}/bot", base_file_url=f"{api}/file/bot"
        )
        self.client = client or AsyncClient(config.botdesk_url, config.api_key)
        self.wake = asyncio.Event()
        self.receiver = WebhookReceiver(self.state, config, self.client, self.wake)

    async def run(self, stop: asyncio.Event) -> None:
        """Register, listen for webhooks, poll Telegram and send replies until `stop` is set."""
        await self.bot.initialize()
        await self.receiver.ensure_integration()
        await self.receiver.start()
        workers = [
            asyncio.create_task(self.poll_forever()),
            asyncio.create_task(self.send_forever()),
        ]
        self.wake.set()  # messages left queued by a previous run
        try:
            done, _ = await asyncio.wait(
                [*workers, asyncio.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED
            )
            for task in done:
                if task in workers:
                    task.result()  # a worker only ends by raising: surface it
        finally:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            await self.receiver.stop()
            await self.bot.shutdown()
            await self.client.aclose()

    # --- Telegram -> botdesk ---
    async def poll_forever(self) -> None:
        backoff = _Backoff()
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=self.state.offset or None,
                    timeout=self.config.poll_timeout,
                    allowed_updates=["message"],
                )
            except RetryAfter as exc:
                await asyncio.sleep(retry_seconds(exc))
                continue
            except NetworkError as exc:
                delay = backoff.next()
                log.warning("getUpdates failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            backoff.failures = 0
            for update in updates:
                await self.forward(update)
                self.state.offset = update.update_id + 1
                self.state.save()

    async def forward(self, update: Update) -> None:
        """Send one user's message to botdesk, retrying until botdesk has it or refuses it."""
        message = update.message
        if message is None or message.from_user is None or message.chat.type != "private":
            return
        text = message.text or message.caption
        if not text:
            return
        user = message.from_user
        backoff = _Backoff()
        while True:
            try:
                await self.client.send_message(
                    self.config.task_id, str(user.id), text, title=user.full_name
                )
                return
            except BotdeskError as exc:
                if exc.status in UNFIXABLE:
                    log.warning("botdesk refused update %s: %s", update.update_id, exc)
                    return
                error: Exception = exc
            except httpx.HTTPError as exc:
                error = exc
            delay = backoff.next()
            log.warning("botdesk unreachable (%s); retrying in %.0f s", error, delay)
            await asyncio.sleep(delay)

    # --- botdesk -> Telegram ---
    async def send_forever(self) -> None:
        backoff = _Backoff()
        while True:
            if not self.state.outbox:
                self.wake.clear()
                await self.wake.wait()
                continue
            item = self.state.outbox[0]
            chat_id: int | str = (
                int(item.chat_id) if item.chat_id.lstrip("-").isdigit() else item.chat_id
            )
            try:
                await self.bot.send_message(chat_id=chat_id, text=item.text)
            except RetryAfter as exc:
                seconds = retry_seconds(exc)
                log.info("Telegram asks to wait %.0f s", seconds)
                await asyncio.sleep(seconds)
                continue
            except (BadRequest, Forbidden) as exc:
                log.warning("dropped a message to %s: %s", item.chat_id, exc)
            except NetworkError as exc:
                delay = backoff.next()
                log.warning("sendMessage failed (%s); retrying in %.0f s", exc, delay)
                await asyncio.sleep(delay)
                continue
            backoff.failures = 0
            self.state.outbox.pop(0)
            self.state.save()


async def run_bridge(config: TelegramBridgeConfig) -> None:
    """Run until SIGINT or SIGTERM (for the CLI and the example)."""
    import signal

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await TelegramBridge(config).run(stop)
