"""A minimal receiver for botdesk's webhooks: verify, answer 200 at once, relay the reply.

Run it with:

    pip install botdesk uvicorn          # or just copy botdesk/client/webhooks.py
    BOTDESK_WEBHOOK_SECRET=whsec_... uvicorn examples.receiver:app --port 8787

then create an `all_messages` integration whose webhook_url is http://<this host>:8787/botdesk
and put its `secret` in BOTDESK_WEBHOOK_SECRET.

botdesk delivers at least once, so the same `webhook-id` can arrive twice (after a timeout,
say): remember the ids you handled and skip repeats.
"""

from __future__ import annotations

import os

from fastapi import FastAPI, HTTPException, Request

from botdesk.client import WebhookVerificationError, verify_webhook

SECRET = os.environ.get("BOTDESK_WEBHOOK_SECRET", "")
app = FastAPI()
seen: set[str] = set()  # use a database or a file in production


def deliver_to_user(chat_id: str, text: str) -> None:
    """Replace with your messenger's send call (Telegram sendMessage, WhatsApp, e-mail, ...)."""
    print(f"to {chat_id}: {text}")


@app.post("/botdesk")
async def botdesk_webhook(request: Request) -> dict[str, str]:
    body = await request.body()  # the exact bytes: re-encoded JSON would not verify
    try:
        event = verify_webhook(request.headers, body, SECRET)
    except WebhookVerificationError as exc:
        raise HTTPException(400, f"bad signature: {exc}") from exc
    webhook_id = request.headers["webhook-id"]
    if webhook_id in seen:
        return {"status": "duplicate"}
    seen.add(webhook_id)
    # Other webhook types (success, get_contact, ...) may arrive at the same URL.
    if event.get("wh_type") == "all_messages" and event.get("message_type") in ("bot", "operator"):
        deliver_to_user(event["external_chat_id"], event["message_text"])
    return {"status": "ok"}  # `user` messages: just answer 200
