"""`botdesk.client` against a real `botdesk serve` on loopback: every call, and typed errors."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from botdesk.client import AsyncClient, BotdeskError, Client
from tests.client.live import Live, live_botdesk


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    with live_botdesk(tmp_path_factory.mktemp("client")) as server:
        yield server


@pytest.fixture
def client(live: Live) -> Iterator[Client]:
    with Client(live.base_url, live.api_key) as c:
        yield c


def make_task(client: Client, channel_type: str = "page_messenger") -> dict:
    channel = client.channels.create(name="Site", type=channel_type)
    ai = client.ais.create(name="Helper", knowledge=[{"question": "Hours?", "answer": "9 to 5."}])
    hook = client.integrations.create(name="Hook", webhook_url="http://127.0.0.1:9/hook")
    assert hook["secret"].startswith("whsec_")
    return client.tasks.create(
        name="Web", channel_id=channel["id"], ai_id=ai["id"], integration_ids=[hook["id"]]
    )


def test_set_up_objects_round_trip(client: Client) -> None:
    for resource, fields in (
        (client.channels, {"name": "C", "type": "api"}),
        (client.managers, {"name": "Ann"}),
        (client.ais, {"name": "A"}),
        (client.lists, {"name": "L", "kind": "black", "entries": ["1"]}),
        (client.integrations, {"name": "I", "webhook_url": "http://127.0.0.1:9/x"}),
    ):
        made = resource.create(**fields)
        assert resource.get(made["id"])["name"] == fields["name"]
        assert made["id"] in [item["id"] for item in resource.list()["items"]]
        assert resource.update(made["id"], name="Renamed")["name"] == "Renamed"
        assert resource.delete(made["id"]) is None
        with pytest.raises(BotdeskError) as error:
            resource.get(made["id"])
        assert error.value.status == 404 and "not found" in error.value.message


def test_send_message_returns_the_seed_thread_and_threads_calls_work(client: Client) -> None:
    task = make_task(client)
    thread = client.send_message(task["id"], "42", "Hello", title="Ann Lee")
    assert thread["chat_id"] == "42" and thread["title"] == "Ann Lee" and thread["_id"]
    listed = client.threads.list(task_id=task["id"])
    assert [t["id"] for t in listed["items"]] == [thread["_id"]]
    posted = client.threads.post_message(thread["_id"], "A person here")
    assert posted["type"] == "operator"
    flagged = client.threads.set_flags(thread["_id"], operator=True, interest=True)
    assert flagged["flags"]["operator"] and flagged["flags"]["interest"]
    assert client.threads.list(task_id=task["id"], flag="operator")["total"] == 1
    texts = [m["text"] for m in client.threads.get(thread["_id"])["messages"]]
    assert texts[:2] == ["Hello", "A person here"]
    assert client.tasks.update(task["id"], status="paused")["status"] == "paused"


def test_errors_carry_status_and_the_message_naming_the_field(client: Client, live: Live) -> None:
    with pytest.raises(BotdeskError) as error:
        client.send_message("no-such-task", "1", "hi")
    assert error.value.status == 404 and "task_id" in error.value.message
    with pytest.raises(BotdeskError) as error:
        client.channels.create(name="x", type="carrier-pigeon")
    assert error.value.status == 400 and "type" in error.value.message
    with Client(live.base_url, "wrong-key") as stranger, pytest.raises(BotdeskError) as error:
        stranger.channels.list()
    assert error.value.status == 401
    with pytest.raises(ValueError, match="unknown flags"):
        client.threads.set_flags("x", happy=True)


def test_auth_switches_to_a_token_and_add_target_works(live: Live) -> None:
    with Client(live.base_url, live.api_key) as c:
        token = c.auth()
        assert token and token != live.api_key
        task = make_task(c)
        assert c.add_target(task["id"], "@someone")["created"] is True
        assert c.add_target(task["id"], "@someone")["created"] is False


async def test_async_client_makes_the_same_calls(live: Live) -> None:
    async with AsyncClient(live.base_url, live.api_key) as c:
        await c.auth()
        channel = await c.channels.create(name="Async", type="api")
        ai = await c.ais.create(name="A")
        task = await c.tasks.create(name="T", channel_id=channel["id"], ai_id=ai["id"])
        thread = await c.send_message(task["id"], 7, "Hi there")
        assert thread["chat_id"] == "7"
        await c.threads.post_message(thread["_id"], "Operator")
        got = await c.threads.get(thread["_id"])
        assert [m["type"] for m in got["messages"]][:1] == ["user"]
        with pytest.raises(BotdeskError) as error:
            await c.tasks.get("nope")
        assert error.value.status == 404


def test_the_ai_answer_is_readable_through_the_client(client: Client) -> None:
    task = make_task(client)
    thread = client.send_message(task["id"], "99", "Hours?")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        types = [m["type"] for m in client.threads.get(thread["_id"])["messages"]]
        if "bot" in types:
            return
        time.sleep(0.2)
    pytest.fail(f"no bot answer within 30 s: {types}")
