"""Settings shared by every entry point (`botdesk serve`, `botdesk worker`, the CLI).

Every setting is read from an environment variable `BOTDESK_<NAME>`; the comment says its unit.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Annotated

from pydantic import field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOTDESK_", extra="ignore")

    # SQLAlchemy async URL: sqlite+aiosqlite:///./file.db or postgresql+asyncpg://user@host/db
    database_url: str = "sqlite+aiosqlite:///./botdesk.db"
    # Public root of this server, used to build panel_url / share_url (no trailing slash)
    base_url: str = "http://127.0.0.1:8000"
    # Secret for sessions, CSRF and tokens; set it in production (any long random string)
    secret_key: str = "dev-insecure-change-me"
    # Lifetime of a bearer token from /api/1.1/wf/auth, in seconds
    token_ttl_seconds: int = 7 * 24 * 3600
    # Largest accepted request body, in bytes (a 64 KB message plus JSON overhead)
    max_body_bytes: int = 64 * 1024
    # Largest accepted panel form (an AI's whole knowledge base), in bytes
    max_form_bytes: int = 2 * 1024 * 1024
    # Largest accepted message text, in characters
    max_message_chars: int = 64 * 1024
    # Page size of list endpoints, in items
    page_size: int = 50
    # Database pool size per process, in connections
    db_pool_size: int = 10
    # Group commit: the most requests whose writes share one commit, in requests (1 turns it off)
    group_commit_max: int = 256
    # Group commits in flight at once; 0 picks per database (SQLite writes one at a time)
    group_commit_inflight: int = 0
    # Serve send_message_external ahead of FastAPI's routing (api.fastpath); false uses the route
    fast_path: bool = True

    # --- webhooks (issue 4) ---
    # CIDRs that webhook targets may use although not globally routable, comma separated
    webhook_allow_private: Annotated[list[str], NoDecode] = []
    # Connect timeout for a webhook attempt, in seconds
    webhook_connect_timeout: float = 5.0
    # Total timeout for a webhook attempt, in seconds
    webhook_total_timeout: float = 15.0
    # Delay before each retry, in seconds, comma separated; the last retry exhausted -> failed
    webhook_retry_schedule: Annotated[list[float], NoDecode] = [
        0,
        5,
        300,
        1800,
        7200,
        18000,
        36000,
        36000,
    ]
    # Integration disabled after every attempt failed for this long, in seconds (5 days)
    webhook_disable_after_seconds: float = 5 * 24 * 3600
    # Concurrent requests per integration, in requests
    webhook_concurrency_per_integration: int = 16
    # Lease on a claimed delivery before another worker may take it, in seconds
    webhook_lease_seconds: float = 60.0

    # --- AI worker (issue 5) ---
    # How often the worker polls for due work when idle, in seconds
    worker_poll_seconds: float = 0.2

    @field_validator("webhook_allow_private", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        if isinstance(value, str):
            value = [part.strip() for part in value.split(",") if part.strip()]
        for cidr in value or []:  # type: ignore[union-attr]
            ipaddress.ip_network(cidr, strict=False)
        return value

    @field_validator("webhook_retry_schedule", mode="before")
    @classmethod
    def _split_floats(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def groups_in_flight(self) -> int:
        """Group commits in flight: SQLite has one writer at a time; PostgreSQL overlaps
        one group's round trips with the next group's work."""
        if self.group_commit_inflight > 0:
            return self.group_commit_inflight
        return 1 if self.is_sqlite else 3


@lru_cache
def get_settings() -> Settings:
    return Settings()
