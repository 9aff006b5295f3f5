"""The one error type the client raises for an answer that is not a success."""

from __future__ import annotations

from typing import Any


class BotdeskError(Exception):
    """botdesk refused a call: `status` is the HTTP status, `message` names the bad field."""

    def __init__(self, status: int, message: str, body: Any = None) -> None:
        super().__init__(f"{status}: {message}")
        self.status = status
        self.message = message
        self.body = body
