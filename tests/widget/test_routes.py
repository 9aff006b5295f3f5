"""The web chat's HTTP side over ASGI, on SQLite and PostgreSQL: page, posting, live stream."""

from __future__ import annotations

import json
from typing import Any

import httpx
from fastapi import FastAPI

from botdesk.widget.limits import TokenBuckets
from botdesk.widget.service import chat_id_for

VISITOR = "v" * 22 + "Abc_-123"


def events(body: str) -> list[dict[str, Any]]:
    """The `message` events of an SSE body, each with its `id`."""
    found = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        fields = dict(
            line.split(": ", 1) for line in block.split("\n") if ": " in line and line[0] != ":"
        )
        if fields.get("event") == "message":
            found.append({**json.loads(fields["data"]), "event_id": fields["id"]})
    return found


async def say(web: httpx.AsyncClient, channel: str, text: str, visitor: str = VISITOR) -> Any:
    return await web.post(
        "/widget/messages", json={"channel": channel, "visitor": visitor, "text": text}
    )


async def test_frame_renders_escaped_and_framable(web: httpx.AsyncClient, web_setup: Any) -> None:
    made = await web_setup("<b>Shop</b> & co", greeting="Hi <there>")
    page = await web.get("/frame", params={"channel": made["channel"]["id"]})
    assert page.status_code == 200
    assert "&lt;b&gt;Shop&lt;/b&gt; &amp; co" in page.text and "<b>Shop" not in page.text
    assert "Hi &lt;there&gt;" in page.text
    assert "frame-ancestors *" in page.headers["content-security-policy"]
    assert "x-frame-options" not in page.headers
    assert (await web.get("/widget/static/chat.js")).status_code == 200
    loader = await web.get("/widget.js")
    assert loader.headers["content-type"].startswith("application/javascript")


async def test_frame_ancestors_follow_the_channel_setting(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    made = await web_setup()
    channel = made["channel"]["id"]
    origins = ["https://shop.example", "http://127.0.0.1:8080", "x; script-src *"]
    response = await web.patch(
        f"/v1/channels/{channel}",
        json={"settings": {"allowed_origins": origins}},
        headers=made["tenant"].headers,
    )
    assert response.status_code == 200, response.text
    csp = (await web.get("/frame", params={"channel": channel})).headers["content-security-policy"]
    assert csp.endswith("frame-ancestors https://shop.example http://127.0.0.1:8080")


async def test_frame_is_unavailable_without_a_running_task(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    made = await web_setup(status="paused")
    assert (await web.get("/frame", params={"channel": made["channel"]["id"]})).status_code == 404
    assert (await web.get("/frame", params={"channel": "nope"})).status_code == 404
    assert (await say(web, made["channel"]["id"], "hello")).status_code == 404


async def test_visitor_message_goes_through_the_api_pipeline(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    made = await web_setup()
    channel = made["channel"]["id"]
    answer = await say(web, channel, "  Hello there  ")
    assert answer.status_code == 201, answer.text
    assert answer.json()["type"] == "user" and answer.json()["text"] == "Hello there"
    threads = await web.get(
        "/v1/threads", params={"task_id": made["task"]["id"]}, headers=made["tenant"].headers
    )
    [thread] = threads.json()["items"]
    assert thread["chat_id"] == chat_id_for(channel, VISITOR) != VISITOR
    assert thread["count_message"] == 1 and thread["title"].startswith("Web visitor")


async def test_bad_input_is_refused_naming_the_field(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    channel = (await web_setup())["channel"]["id"]
    assert (await say(web, channel, "hi", visitor="short")).status_code == 400
    blank = await say(web, channel, "   ")
    assert blank.status_code == 400 and "text" in blank.json()["message"]
    assert (await say(web, channel, "a\x00b")).status_code == 400
    assert (await say(web, channel, "x" * 4001)).status_code == 400


async def test_rate_limits_answer_429_with_retry_after(
    app: FastAPI, web: httpx.AsyncClient, web_setup: Any
) -> None:
    channel = (await web_setup())["channel"]["id"]
    app.state.widget_limits.per_chat = TokenBuckets(2, 6.0)
    app.state.widget_limits.per_ip = TokenBuckets(5, 6.0)  # every attempt counts
    assert [(await say(web, channel, f"m{i}")).status_code for i in range(3)] == [201, 201, 429]
    limited = await say(web, channel, "again")
    assert limited.headers["retry-after"] == "10" and "chat" in limited.json()["message"]
    other = await say(web, channel, "from another chat", visitor="w" * 30)
    assert other.status_code == 201  # the fifth and last token of this address
    by_ip = await say(web, channel, "and another", visitor="x" * 30)
    assert by_ip.status_code == 429 and "ip" in by_ip.json()["message"]


async def test_stream_replays_history_then_resumes_exactly_from_last_event_id(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    made = await web_setup()
    channel = made["channel"]["id"]
    for text in ("one", "two"):
        assert (await say(web, channel, text)).status_code == 201
    params = {"channel": channel, "visitor": VISITOR}
    first = events((await web.get("/widget/stream", params=params)).text)
    assert [e["text"] for e in first][:2] == ["one", "two"]
    thread_id = (
        await web.get(
            "/v1/threads", params={"task_id": made["task"]["id"]}, headers=made["tenant"].headers
        )
    ).json()["items"][0]["id"]
    await web.post(
        f"/v1/threads/{thread_id}/messages",
        json={"text": "operator here"},
        headers=made["tenant"].headers,
    )
    assert (await say(web, channel, "three")).status_code == 201
    resumed = events(
        (
            await web.get(
                "/widget/stream", params=params, headers={"Last-Event-ID": first[1]["event_id"]}
            )
        ).text
    )
    after_two = [e["text"] for e in resumed]
    assert after_two[:2] == ["operator here", "three"] and "two" not in after_two
    by_query = events(
        (await web.get("/widget/stream", params={**params, "after": first[0]["event_id"]})).text
    )
    assert [e["text"] for e in by_query][:1] == ["two"]
    all_ids = [e["id"] for e in events((await web.get("/widget/stream", params=params)).text)]
    assert len(all_ids) == len(set(all_ids))


async def test_stream_of_a_new_visitor_waits_and_is_private(
    web: httpx.AsyncClient, web_setup: Any
) -> None:
    channel = (await web_setup())["channel"]["id"]
    await say(web, channel, "secret of visitor one")
    other = await web.get("/widget/stream", params={"channel": channel, "visitor": "z" * 30})
    assert other.status_code == 200 and events(other.text) == []
    bad = await web.get("/widget/stream", params={"channel": channel, "visitor": "no"})
    assert bad.status_code == 400
