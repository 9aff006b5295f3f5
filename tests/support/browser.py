"""Debian's Chromium for browser tests, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import shutil
from pathlib import Path

from tests.support.environment import missing

CHROMIUM = "/usr/bin/chromium"
# Headless as root in a closed network: no sandbox, no GPU, no calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
# Screenshots for people to look at (gitignored).
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def require_chromium() -> None:
    if Path(CHROMIUM).exists() and shutil.which("chromium"):
        return
    missing(f"{CHROMIUM} is missing (apt-get install -y chromium); browser tests skipped")
