"""Two real worker processes share the answer queue: every thread is answered exactly once
and no two generations for one thread ever overlap."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from botdesk.core.config import Settings
from botdesk.db.engine import Database
from tests.ai.conftest import World
from tests.ai.test_answers import messages


def _spawn(url: str, log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "tests.ai.runner_process", url, str(log), "6"])


async def test_two_processes_serialise_answers_per_thread(
    make_world: Any, db: Database, settings: Settings, tmp_path: Path
) -> None:
    world: World = await make_world(ai_settings={"debounce_seconds": 0.05})
    log = tmp_path / "runs.log"
    procs = [_spawn(settings.database_url, log) for _ in range(2)]
    threads = []
    for i in range(12):
        threads.append(await world.say(f"s{i}", "how much is delivery?"))
    await asyncio.sleep(0.3)
    for i in range(0, 12, 3):  # a second burst on some threads while the runners work
        await world.say(f"s{i}", "and what are your opening hours?")
    for proc in procs:
        await asyncio.to_thread(proc.wait, 60)
    runs: dict[str, list[tuple[float, float, str]]] = defaultdict(list)
    for line in log.read_text().splitlines():
        chat, start, end, pid = line.split()
        runs[chat].append((float(start), float(end), pid))
    for chat, spans in runs.items():
        spans.sort()
        for (_, end, _), (start, _, _) in zip(spans, spans[1:], strict=False):
            assert start >= end, f"overlapping generations in {chat}"
    assert len({pid for spans in runs.values() for _, _, pid in spans}) == 2
    for i, thread in enumerate(threads):
        bot = await messages(db, thread.id)
        assert 1 <= len(bot) <= (2 if i % 3 == 0 else 1), (i, bot)
        assert len(await messages(db, thread.id, "user")) == (2 if i % 3 == 0 else 1)
