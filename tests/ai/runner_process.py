"""A real answer-runner process for the serialisation test: it answers with the embedded AI,
slowed down, and logs when each generation starts and ends.

Usage: python -m tests.ai.runner_process DATABASE_URL LOG_PATH SECONDS
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from typing import Any

from botdesk.ai.embedded.provider import EmbeddedProvider
from botdesk.ai.providers import AnswerContext, AnswerResult, Turn
from botdesk.core.config import Settings
from botdesk.db.engine import Database
from botdesk.worker import answers


class SlowLogged:
    def __init__(self, log_path: str) -> None:
        self.log_path = log_path
        self.inner = EmbeddedProvider()

    async def answer(self, ai: Any, history: list[Turn], context: AnswerContext) -> AnswerResult:
        start = time.time()
        await asyncio.sleep(0.05)
        result = await self.inner.answer(ai, history, context)
        _append(self.log_path, f"{context.chat_id} {start} {time.time()} {os.getpid()}\n")
        return result


def _append(path: str, line: str) -> None:
    with open(path, "a") as log:
        log.write(line)


async def main(url: str, log_path: str, seconds: float) -> None:
    answers.BATCH = 2  # small rounds so both processes get work
    settings = Settings(database_url=url, worker_poll_seconds=0.02)
    db = Database(settings)
    provider = SlowLogged(log_path)
    runner = answers.AnswerRunner(db, settings, providers=lambda ai: provider)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(seconds, stop.set)
    await runner.run_forever(stop)
    await db.dispose()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
