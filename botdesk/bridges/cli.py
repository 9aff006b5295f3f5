"""`botdesk bridge ...`: run a messenger bridge as a long-lived process."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import typer

app = typer.Typer(help="Connect a messenger to a botdesk task.", no_args_is_help=True)


@app.command("telegram")
def telegram(
    bot_token: str = typer.Option(..., envvar="TELEGRAM_BOT_TOKEN", help="token from @BotFather"),
    task: str = typer.Option(..., help="the botdesk task id the bot's dialogs belong to"),
    botdesk_url: str = typer.Option(
        "http://127.0.0.1:8000", envvar="BOTDESK_URL", help="botdesk's base URL"
    ),
    api_key: str = typer.Option(..., envvar="BOTDESK_API_KEY", help="a botdesk API key"),
    listen_host: str = typer.Option("127.0.0.1", help="address of the webhook receiver"),
    listen_port: int = typer.Option(8081, help="port of the webhook receiver"),
    public_url: str = typer.Option(
        "", help="how botdesk reaches the receiver (default http://LISTEN_HOST:LISTEN_PORT)"
    ),
    webhook_secret: str = typer.Option(
        "",
        envvar="BOTDESK_WEBHOOK_SECRET",
        help="secret of an integration you made; without it the bridge registers its own",
    ),
    state_file: Path = typer.Option(
        Path("telegram-bridge.json"), help="where the offset, queue and secret are kept"
    ),
    telegram_api_url: str = typer.Option(
        "https://api.telegram.org", help="Bot API server (a local one, or a fake in tests)"
    ),
    poll_timeout: int = typer.Option(25, help="long-polling wait per getUpdates, in seconds"),
) -> None:
    """Relay a Telegram bot's private chats to a botdesk task and the answers back."""
    from botdesk.bridges.telegram import TelegramBridgeConfig, run_bridge

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    config = TelegramBridgeConfig(
        bot_token=bot_token,
        task_id=task,
        api_key=api_key,
        botdesk_url=botdesk_url,
        state_file=state_file,
        listen_host=listen_host,
        listen_port=listen_port,
        public_url=public_url,
        webhook_secret=webhook_secret,
        telegram_api_url=telegram_api_url,
        poll_timeout=poll_timeout,
    )
    asyncio.run(run_bridge(config))
