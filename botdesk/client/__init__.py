"""Python client for botdesk: send users' messages, manage the set-up, verify webhooks.

from botdesk.client import Client, verify_webhook
bot = Client("https://botdesk.example", api_key)
bot.send_message(task_id, chat_id="42", text="Hello", title="Ann")
"""

from botdesk.client.api import AsyncClient, Client, Resource, Threads
from botdesk.client.errors import BotdeskError
from botdesk.client.webhooks import WebhookVerificationError, sign, verify_webhook

__all__ = [
    "AsyncClient",
    "BotdeskError",
    "Client",
    "Resource",
    "Threads",
    "WebhookVerificationError",
    "sign",
    "verify_webhook",
]
