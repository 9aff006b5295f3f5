"""Real databases for tests: a fresh SQLite file, or a fresh PostgreSQL database cloned from a
migrated template. PostgreSQL is started if it is down; without it the tests skip, except
under CI=true where nothing may be skipped."""

from __future__ import annotations

import asyncio
import os
import subprocess
import uuid
from pathlib import Path

from tests.support.environment import missing

PG_ADMIN_URL = os.environ.get("BOTDESK_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_connect_ok() -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(PG_ADMIN_URL, timeout=3)
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


_pg_state: dict[str, object] = {}


def require_postgres() -> None:
    """Make sure PostgreSQL runs (start it if down) or skip (fail under CI)."""
    if "ok" not in _pg_state:
        ok = _pg_connect_ok()
        if not ok:
            versions = (
                sorted(os.listdir("/etc/postgresql")) if Path("/etc/postgresql").exists() else []
            )
            if versions:
                subprocess.run(
                    ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"],
                    check=False,
                    capture_output=True,
                )
                ok = _pg_connect_ok()
        _pg_state["ok"] = ok
    if not _pg_state["ok"]:
        missing(f"PostgreSQL is not reachable at {PG_ADMIN_URL}; PostgreSQL tests skipped")


def _admin(sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(PG_ADMIN_URL)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _async_url(dbname: str) -> str:
    base = PG_ADMIN_URL.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{dbname}"


def _migrate(url: str) -> None:
    from botdesk.db.migrate import upgrade

    upgrade(url)


def postgres_template() -> str:
    """A migrated template database, made once per test run."""
    if "template" not in _pg_state:
        name = f"botdesk_tpl_{os.getpid()}"
        _admin(f'DROP DATABASE IF EXISTS "{name}"')
        _admin(f'CREATE DATABASE "{name}"')
        _migrate(_async_url(name))
        _pg_state["template"] = name
    return str(_pg_state["template"])


def new_postgres_database() -> tuple[str, str]:
    """(url, name) of a fresh migrated PostgreSQL database."""
    require_postgres()
    template = postgres_template()
    name = f"botdesk_t_{uuid.uuid4().hex[:12]}"
    _admin(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return _async_url(name), name


def drop_postgres_database(name: str) -> None:
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def drop_template() -> None:
    name = _pg_state.get("template")
    if name:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_sqlite_template: dict[str, Path] = {}


def new_sqlite_database(directory: Path) -> str:
    """URL of a fresh migrated SQLite file (copied from a template migrated once)."""
    import shutil
    import tempfile

    if "path" not in _sqlite_template:
        tpl = Path(tempfile.mkdtemp()) / "template.db"
        _migrate(f"sqlite+aiosqlite:///{tpl}")
        _sqlite_template["path"] = tpl
    target = directory / "botdesk.db"
    shutil.copy(_sqlite_template["path"], target)
    return f"sqlite+aiosqlite:///{target}"
