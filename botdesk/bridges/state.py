"""A bridge's memory across restarts, in one small JSON file written atomically.

It holds the Telegram update offset (so no update is forwarded twice), the webhook ids already
accepted (botdesk delivers at least once), the messages still to send to users (so a restart
neither loses nor repeats them) and the integration the bridge registered with its secret.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

# Webhook ids remembered to skip redeliveries; older ones are forgotten (botdesk retries for
# days, but a redelivery of an id this old would need thousands of messages in between).
REMEMBERED_WEBHOOK_IDS = 5000


@dataclass
class Outgoing:
    """One message on its way to a user."""

    webhook_id: str
    chat_id: str
    text: str


@dataclass
class BridgeState:
    path: Path
    offset: int = 0
    seen_webhooks: list[str] = field(default_factory=list)
    outbox: list[Outgoing] = field(default_factory=list)
    integration_id: str = ""
    webhook_secret: str = ""
    webhook_url: str = ""

    @classmethod
    def load(cls, path: Path) -> BridgeState:
        if not path.exists():
            return cls(path=path)
        raw: dict[str, Any] = json.loads(path.read_text() or "{}")
        return cls(
            path=path,
            offset=int(raw.get("offset", 0)),
            seen_webhooks=list(raw.get("seen_webhooks", [])),
            outbox=[Outgoing(**item) for item in raw.get("outbox", [])],
            integration_id=str(raw.get("integration_id", "")),
            webhook_secret=str(raw.get("webhook_secret", "")),
            webhook_url=str(raw.get("webhook_url", "")),
        )

    def save(self) -> None:
        """Write to a temporary file, fsync, then rename: a crash leaves the old or the new."""
        data = {k: v for k, v in asdict(self).items() if k != "path"}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with tmp.open("w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)

    def accept(self, webhook_id: str, items: list[Outgoing]) -> bool:
        """Queue a webhook's messages unless it was accepted before; True if queued."""
        if webhook_id in self.seen_webhooks:
            return False
        self.seen_webhooks.append(webhook_id)
        del self.seen_webhooks[:-REMEMBERED_WEBHOOK_IDS]
        self.outbox.extend(items)
        return True
