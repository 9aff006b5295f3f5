"""A Telegram <-> botdesk bridge in one file, to read and adapt when you run your own.

(`botdesk bridge telegram` is the packaged version: it also registers its integration itself
and keeps a persistent send queue. This file shows the moving parts in the fewest lines.)

How it works:
  * Telegram -> botdesk: long polling with getUpdates; each private text message is sent with
    send_message_external, chat_id = the Telegram user id, title = the user's name.
  * botdesk -> Telegram: botdesk POSTs an `all_messages` webhook here for every message; the
    signature is checked, `bot` and `operator` messages go out with sendMessage, `user` ones
    are only acknowledged. When Telegram says 429, we answer botdesk 503 with Retry-After and
    botdesk delivers again later (same webhook-id).
  * The update offset and the delivered webhook ids are kept in a JSON file, so a restart
    neither forwards an update twice nor sends a reply twice.

Setup:
  1. In botdesk create a channel (page_messenger), an AI, and an integration with
     webhook_type all_messages and webhook_url http://<this host>:8081/botdesk; create a task
     with that channel, AI and integration. Keep the integration's secret (whsec_...).
  2. pip install botdesk python-telegram-bot aiohttp   (botdesk is used only as a client)
  3. TELEGRAM_BOT_TOKEN=... BOTDESK_URL=https://botdesk.example BOTDESK_API_KEY=... \
     BOTDESK_TASK_ID=... BOTDESK_WEBHOOK_SECRET=whsec_... python examples/telegram_bridge.py
"""

from __future__ import annotations

import asyncio
import json
import os
import warnings
from datetime import timedelta
from pathlib import Path

from aiohttp import web
from telegram import Bot
from telegram.error import NetworkError, RetryAfter

from botdesk.client import AsyncClient, BotdeskError, WebhookVerificationError, verify_webhook

ENV = os.environ
TASK_ID = ENV["BOTDESK_TASK_ID"]
SECRET = ENV["BOTDESK_WEBHOOK_SECRET"]
PORT = int(ENV.get("BRIDGE_PORT", "8081"))
STATE = Path(ENV.get("BRIDGE_STATE_FILE", "telegram-bridge-example.json"))
TELEGRAM_API = ENV.get("TELEGRAM_API_URL", "https://api.telegram.org")

bot = Bot(ENV["TELEGRAM_BOT_TOKEN"], base_url=f"{TELEGRAM_API}/bot")
botdesk = AsyncClient(ENV.get("BOTDESK_URL", "http://127.0.0.1:8000"), ENV["BOTDESK_API_KEY"])
state = json.loads(STATE.read_text()) if STATE.exists() else {"offset": 0, "delivered": []}


def save() -> None:
    state["delivered"] = state["delivered"][-5000:]
    STATE.with_suffix(".tmp").write_text(json.dumps(state))
    STATE.with_suffix(".tmp").replace(STATE)


def seconds(exc: RetryAfter) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return int(value.total_seconds() if isinstance(value, timedelta) else value)


async def poll_telegram() -> None:
    while True:
        try:
            updates = await bot.get_updates(offset=state["offset"] or None, timeout=25)
        except RetryAfter as exc:
            await asyncio.sleep(seconds(exc))
            continue
        except NetworkError:
            await asyncio.sleep(5)
            continue
        for update in updates:
            message = update.message
            if message and message.text and message.from_user and message.chat.type == "private":
                user = message.from_user
                while True:  # keep the update until botdesk has it (or refuses it for good)
                    try:
                        await botdesk.send_message(
                            TASK_ID, str(user.id), message.text, title=user.full_name
                        )
                        break
                    except BotdeskError as exc:
                        if exc.status == 400:
                            break
                        await asyncio.sleep(5)
                    except OSError:
                        await asyncio.sleep(5)
            state["offset"] = update.update_id + 1
            save()


async def on_webhook(request: web.Request) -> web.Response:
    body = await request.read()
    try:
        event = verify_webhook(request.headers, body, SECRET)
    except WebhookVerificationError:
        return web.Response(status=400)
    webhook_id = request.headers["webhook-id"]
    wanted = event.get("wh_type") == "all_messages" and event.get("task_id") == TASK_ID
    if not wanted or event.get("message_type") not in ("bot", "operator"):
        return web.Response(text="ignored")
    if webhook_id in state["delivered"]:
        return web.Response(text="duplicate")
    try:
        await bot.send_message(chat_id=int(event["external_chat_id"]), text=event["message_text"])
    except RetryAfter as exc:  # Telegram's flood control: let botdesk retry later
        return web.Response(status=503, headers={"Retry-After": str(seconds(exc))})
    except NetworkError:
        return web.Response(status=502)
    state["delivered"].append(webhook_id)
    save()
    return web.Response(text="sent")


async def main() -> None:
    await bot.initialize()
    app = web.Application()
    app.router.add_post("/botdesk", on_webhook)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, ENV.get("BRIDGE_HOST", "127.0.0.1"), PORT).start()
    print(f"bridge up: webhooks on :{PORT}/botdesk, polling Telegram", flush=True)
    await poll_telegram()


if __name__ == "__main__":
    asyncio.run(main())
