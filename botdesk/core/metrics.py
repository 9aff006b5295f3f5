"""Prometheus metrics served at `/metrics` (per process; scrape every API and worker process)."""

from __future__ import annotations

from prometheus_client import Counter

MESSAGES = Counter("botdesk_messages_total", "Messages stored in dialogs", ["type"])
DELIVERIES = Counter(
    "botdesk_webhook_attempts_total", "Webhook delivery attempts by outcome", ["outcome"]
)
ANSWERS = Counter("botdesk_ai_answers_total", "AI answer rounds by outcome", ["outcome"])
