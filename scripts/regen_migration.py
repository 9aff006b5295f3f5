"""Regenerate the initial migration from the models (pre-release only: no deployed databases yet).

Run: .venv/bin/python scripts/regen_migration.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from botdesk.db.migrate import MIGRATIONS, alembic_config

VERSIONS = MIGRATIONS / "versions"


def main() -> None:
    for old in VERSIONS.glob("*.py"):
        if old.name != "__init__.py":
            old.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = alembic_config(f"sqlite+aiosqlite:///{tmp}/empty.db")
        command.revision(cfg, message="initial schema", autogenerate=True, rev_id="0001")
    for path in VERSIONS.glob("*.py"):
        if path.name != "__init__.py":
            path.rename(VERSIONS / "0001_initial.py")
    (VERSIONS / "__init__.py").touch()
    ruff = Path(sys.executable).parent / "ruff"
    target = str(VERSIONS / "0001_initial.py")
    subprocess.run([str(ruff), "format", "-q", target], check=True)
    subprocess.run([str(ruff), "check", "--fix", "-q", target], check=True)
    print("wrote", VERSIONS / "0001_initial.py")


if __name__ == "__main__":
    main()
