"""The Telegram bridge as users run it (`botdesk bridge telegram`, a real process) between a
fake Telegram Bot API on 127.0.0.1 and a real `botdesk serve` with its worker and AI."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from botdesk.client import Client
from tests.bridges.fake_telegram import FakeTelegram
from tests.client.live import Live, live_botdesk
from tests.support.server import free_port, stop

pytestmark = pytest.mark.slow
QUESTION = "What are your opening hours?"
ANSWER = "We work 9 to 5."


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # Quick webhook retries, so a delivery that failed while the bridge was down comes soon.
    with live_botdesk(
        tmp_path_factory.mktemp("bridge"), BOTDESK_WEBHOOK_RETRY_SCHEDULE="0,1,1,1,1,1,1,1,1,1"
    ) as server:
        yield server


@pytest.fixture
def client(live: Live) -> Iterator[Client]:
    with Client(live.base_url, live.api_key) as c:
        yield c


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram() as telegram:
        yield telegram


@pytest.fixture
def task_id(client: Client) -> str:
    channel = client.channels.create(name="Telegram", type="page_messenger")
    ai = client.ais.create(name="Shop AI", knowledge=[{"question": QUESTION, "answer": ANSWER}])
    return str(client.tasks.create(name="Bot", channel_id=channel["id"], ai_id=ai["id"])["id"])


class Bridge:
    """Starts and stops `botdesk bridge telegram` with one state file and port."""

    def __init__(self, live: Live, fake: FakeTelegram, task_id: str, directory: Path) -> None:
        self.live, self.fake, self.task_id = live, fake, task_id
        self.state_file = directory / "telegram-state.json"
        self.log = directory / "bridge.log"
        self.port = free_port()

    @contextmanager
    def running(self) -> Iterator[subprocess.Popen[bytes]]:
        args = [
            sys.executable, "-m", "botdesk", "bridge", "telegram",
            "--bot-token", self.fake.token, "--task", self.task_id,
            "--botdesk-url", self.live.base_url, "--api-key", self.live.api_key,
            "--listen-port", str(self.port), "--telegram-api-url", self.fake.url,
            "--state-file", str(self.state_file), "--poll-timeout", "1",
        ]  # fmt: skip
        with self.log.open("ab") as log:
            proc = subprocess.Popen(args, env=self.live.env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_until(lambda: self._healthy(proc), "the bridge to listen")
            yield proc
        finally:
            stop(proc)

    def _healthy(self, proc: subprocess.Popen[bytes]) -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"the bridge exited:\n{self.log.read_text()}")
        try:
            return httpx.get(f"http://127.0.0.1:{self.port}/healthz").status_code == 200
        except httpx.HTTPError:
            return False


@pytest.fixture
def bridge(live: Live, fake: FakeTelegram, task_id: str, tmp_path: Path) -> Bridge:
    return Bridge(live, fake, task_id, tmp_path)


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


def thread_of(client: Client, task_id: str, chat_id: str) -> dict[str, Any] | None:
    items = client.threads.list(task_id=task_id)["items"]
    found = [t for t in items if t["chat_id"] == chat_id]
    return client.threads.get(found[0]["id"]) if found else None


def user_texts(client: Client, task_id: str, chat_id: str) -> list[str]:
    thread = thread_of(client, task_id, chat_id)
    return [m["text"] for m in thread["messages"] if m["type"] == "user"] if thread else []


def test_user_message_reaches_botdesk_and_ai_and_operator_replies_reach_the_user(
    bridge: Bridge, fake: FakeTelegram, client: Client, task_id: str
) -> None:
    with bridge.running():
        fake.user_writes(111, "Ann", "Lee", QUESTION)
        thread = wait_until(lambda: thread_of(client, task_id, "111"), "the thread in botdesk")
        assert thread["title"] == "Ann Lee"
        assert [m["text"] for m in thread["messages"]][0] == QUESTION
        wait_until(lambda: ANSWER in fake.texts_to(111), "the AI answer on Telegram")
        client.threads.post_message(thread["id"], "Sam from the shop here. Anything else?")
        wait_until(lambda: len(fake.texts_to(111)) == 2, "the operator reply on Telegram")
    assert fake.texts_to(111) == [ANSWER, "Sam from the shop here. Anything else?"]
    assert {s.chat_id for s in fake.sent} == {111}  # and never the user's own message


def test_flood_control_retry_after_is_honoured(
    bridge: Bridge, fake: FakeTelegram, client: Client, task_id: str
) -> None:
    client.threads.set_flags(client.send_message(task_id, "222", "Hi")["_id"], operator=True)
    thread_id = thread_of(client, task_id, "222")["id"]  # type: ignore[index]
    with bridge.running():
        fake.rate_limit(count=1, retry_after=2)
        client.threads.post_message(thread_id, "Hello from a person")
        wait_until(lambda: fake.texts_to(222), "the operator reply on Telegram")
    [throttled] = fake.throttled
    [sent] = fake.sent
    assert sent.text == "Hello from a person"
    assert sent.at - throttled >= 1.95, "sent again before retry_after had passed"


def test_restart_neither_resends_nor_loses_anything(
    bridge: Bridge, fake: FakeTelegram, client: Client, task_id: str
) -> None:
    with bridge.running():
        first_update = fake.user_writes(333, "Bo", "Ng", QUESTION)
        wait_until(lambda: ANSWER in fake.texts_to(333), "the first answer")
    thread_id = thread_of(client, task_id, "333")["id"]  # type: ignore[index]
    # While the bridge is down: an operator writes (botdesk keeps retrying the webhook) and the
    # user writes again (Telegram keeps the update).
    client.threads.post_message(thread_id, "Written while the bridge was down")
    fake.user_writes(333, "Bo", "Ng", "Are you there?")
    calls_before = len(fake.offsets)
    with bridge.running():
        wait_until(
            lambda: "Written while the bridge was down" in fake.texts_to(333), "the late reply"
        )
        wait_until(lambda: len(fake.texts_to(333)) >= 3, "the answer to the second message")
        time.sleep(1.5)  # room for any wrongful resend to show up
    assert fake.offsets[calls_before] == first_update + 1  # resumed after the first update
    assert user_texts(client, task_id, "333") == [QUESTION, "Are you there?"]
    texts = fake.texts_to(333)
    assert len(texts) == len(set(texts)) == 3, texts


def test_a_reply_queued_when_the_bridge_is_killed_is_sent_once_after_restart(
    bridge: Bridge, fake: FakeTelegram, client: Client, task_id: str
) -> None:
    client.threads.set_flags(client.send_message(task_id, "444", "Hi")["_id"], operator=True)
    thread_id = thread_of(client, task_id, "444")["id"]  # type: ignore[index]
    with bridge.running() as proc:
        fake.rate_limit(count=1, retry_after=60)
        client.threads.post_message(thread_id, "Queued reply")
        wait_until(lambda: fake.throttled, "the 429")
        proc.kill()  # no chance to clean up
        proc.wait()
    queued = json.loads(bridge.state_file.read_text())["outbox"]
    assert [item["text"] for item in queued] == ["Queued reply"]
    with bridge.running():
        wait_until(lambda: fake.texts_to(444), "the queued reply")
        time.sleep(2.0)  # botdesk had its 200: no redelivery may add a second copy
    assert fake.texts_to(444) == ["Queued reply"]


def test_the_standalone_example_bridges_both_ways(
    live: Live, fake: FakeTelegram, client: Client, task_id: str, tmp_path: Path
) -> None:
    port = free_port()
    hook = client.integrations.create(
        name="Example bridge", webhook_url=f"http://127.0.0.1:{port}/botdesk"
    )
    client.tasks.update(task_id, integration_ids=[hook["id"]])
    example = Path(__file__).resolve().parents[2] / "examples" / "telegram_bridge.py"
    env = {
        **live.env,
        "TELEGRAM_BOT_TOKEN": fake.token,
        "TELEGRAM_API_URL": fake.url,
        "BOTDESK_URL": live.base_url,
        "BOTDESK_API_KEY": live.api_key,
        "BOTDESK_TASK_ID": task_id,
        "BOTDESK_WEBHOOK_SECRET": hook["secret"],
        "BRIDGE_PORT": str(port),
        "BRIDGE_STATE_FILE": str(tmp_path / "example-state.json"),
    }
    log = tmp_path / "example.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, str(example)], env=env, stdout=out, stderr=out)
    try:
        wait_until(lambda: "bridge up" in log.read_text() or proc.poll() is not None, "start")
        assert proc.poll() is None, log.read_text()
        fake.user_writes(555, "Eve", "Ray", QUESTION)
        wait_until(lambda: ANSWER in fake.texts_to(555), "the AI answer via the example")
        thread = thread_of(client, task_id, "555")
        assert thread and thread["title"] == "Eve Ray"
        client.threads.post_message(thread["id"], "An operator via the example")
        wait_until(lambda: len(fake.texts_to(555)) == 2, "the operator reply via the example")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert fake.texts_to(555) == [ANSWER, "An operator via the example"]
