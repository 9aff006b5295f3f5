"""A real `botdesk serve` on loopback with a bootstrapped company, for client, bridge and
web chat tests."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support import databases
from tests.support.server import bootstrap, botdesk_env, running_server


@dataclass(frozen=True)
class Live:
    base_url: str
    api_key: str
    company_id: str
    env: dict[str, str]
    email: str = "o@example.com"
    password: str = "pw"


@contextmanager
def live_botdesk(directory: Path, *serve_args: str, **env_extra: str) -> Iterator[Live]:
    """Fresh SQLite database, one company, `botdesk serve` (with its worker unless told)."""
    env = botdesk_env(databases.new_sqlite_database(directory), **env_extra)
    boot = bootstrap(env, email="o@example.com", company="Acme")
    with running_server(env, *serve_args) as base:
        yield Live(base, boot["api_key"], boot["company_id"], env)
