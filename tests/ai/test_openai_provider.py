"""The openai provider against a fake OpenAI-compatible server on loopback."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web

from botdesk.ai.openai_provider import OpenAIProvider
from botdesk.ai.providers import AnswerContext, ProviderError, Turn
from botdesk.core.config import get_settings
from tests.ai.conftest import make_ai
from tests.ai.fake_llm import FakeLLM, completion


@pytest.fixture
async def llm(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeLLM]:
    monkeypatch.setenv("BOTDESK_WEBHOOK_ALLOW_PRIVATE", "127.0.0.0/8")
    get_settings.cache_clear()
    server = await FakeLLM().start()
    yield server
    await server.stop()
    get_settings.cache_clear()


def openai_ai(llm: FakeLLM, **settings: Any) -> Any:
    return make_ai(
        provider="openai",
        base_url=llm.url,
        api_key="sk-test",
        model="fake-model",
        temperature=0.3,
        top_p=0.9,
        prompt="You sell kettles.",
        functions=[
            "success",
            "get_contact",
            "interest",
            "close",
            "operator",
            "scheduler",
            "custom_api",
        ],
        settings={
            "max_retries": 0,
            "timeout_seconds": 5,
            "price_input_per_1m": 2.0,
            "price_output_per_1m": 10.0,
            **settings,
        },
    )


async def ask(ai: Any, text: str) -> Any:
    return await OpenAIProvider().answer(ai, [Turn("user", text)], AnswerContext())


async def test_answer_uses_model_settings_knowledge_and_prices(llm: FakeLLM) -> None:
    llm.script = [completion("It is $39.", prompt_tokens=1000, completion_tokens=100)]
    result = await ask(openai_ai(llm), "KT-1700 price?")
    assert result.text == "It is $39."
    request = llm.requests[0]
    assert (request["model"], request["temperature"], request["top_p"]) == ("fake-model", 0.3, 0.9)
    assert "You sell kettles." in request["messages"][0]["content"]
    assert "The KT-1700 kettle is $39." in request["messages"][0]["content"]
    assert {t["function"]["name"] for t in request["tools"]} >= {"get_contact", "scheduler"}
    assert result.usage.input_tokens == 1000 and result.usage.output_tokens == 100
    assert result.usage.cost_usd == pytest.approx(0.003)


async def test_tool_call_sets_the_flag_and_the_model_then_answers(llm: FakeLLM) -> None:
    llm.script = [
        completion(tool_calls=[("get_contact", json.dumps({"contact": "+998901234567"}))]),
        completion("Thanks, we'll call you."),
    ]
    result = await ask(openai_ai(llm), "call me on +998 90 123 45 67")
    assert [(f.flag, f.contact) for f in result.flags] == [("get_contact", "+998901234567")]
    assert result.text == "Thanks, we'll call you."
    assert llm.requests[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": "call_0",
        "content": "ok",
    }


async def test_malformed_tool_call_is_answered_with_an_error_not_a_crash(llm: FakeLLM) -> None:
    llm.script = [
        completion(tool_calls=[("operator", "{not json")]),
        completion(tool_calls=[("operator", "{}")]),
        completion("A colleague will help you."),
    ]
    result = await ask(openai_ai(llm), "human please")
    assert llm.requests[1]["messages"][-1]["content"].startswith("error: arguments")
    assert [f.flag for f in result.flags] == ["operator"]
    assert result.text == "A colleague will help you."


async def test_server_error_raises_provider_error(llm: FakeLLM) -> None:
    llm.script = [(500, {"error": {"message": "boom"}})]
    with pytest.raises(ProviderError):
        await ask(openai_ai(llm), "hello")


async def test_sdk_retries_a_500_once(llm: FakeLLM) -> None:
    llm.script = [(500, {"error": {"message": "boom"}}), completion("Hello!")]
    result = await ask(openai_ai(llm, max_retries=1), "hello")
    assert result.text == "Hello!" and len(llm.requests) == 2


async def test_server_without_tools_gets_a_json_classification_prompt(llm: FakeLLM) -> None:
    llm.script = [
        (400, {"error": {"message": "tools are not supported by this model"}}),
        completion('```json\n{"reply": "Sure, noted.", "functions": [{"name": "interest"}]}\n```'),
    ]
    result = await ask(openai_ai(llm), "I want to buy two kettles")
    assert "tools" not in llm.requests[1]
    assert result.text == "Sure, noted."
    assert [f.flag for f in result.flags] == ["interest"]


async def test_scheduler_books_a_reminder(llm: FakeLLM) -> None:
    llm.script = [
        completion(tool_calls=[("scheduler", json.dumps({"delay_hours": 2, "text": "Hi again!"}))]),
        completion("I'll write to you in two hours."),
    ]
    result = await ask(openai_ai(llm), "write me in two hours")
    assert [(r.delay_seconds, r.text) for r in result.reminders] == [(7200.0, "Hi again!")]


async def test_custom_api_result_goes_back_to_the_model(llm: FakeLLM) -> None:
    async def stock(request: web.Request) -> web.Response:
        return web.json_response({"sku": request.query["sku"], "in_stock": 7})

    app = web.Application()
    app.router.add_get("/stock", stock)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = {
        "name": "stock",
        "description": "Stock by SKU",
        "url": f"http://127.0.0.1:{port}/stock",
        "method": "GET",
        "parameters": {"type": "object", "properties": {"sku": {"type": "string"}}},
    }
    llm.script = [
        completion(tool_calls=[("api_stock", json.dumps({"sku": "KT-1700"}))]),
        completion("We have 7 in stock."),
    ]
    try:
        result = await ask(openai_ai(llm, custom_api=[api]), "is KT-1700 in stock?")
    finally:
        await runner.cleanup()
    assert json.loads(llm.requests[1]["messages"][-1]["content"]) == {
        "sku": "KT-1700",
        "in_stock": 7,
    }
    assert result.text == "We have 7 in stock."


async def test_custom_api_refuses_private_addresses(llm: FakeLLM, monkeypatch: Any) -> None:
    monkeypatch.setenv("BOTDESK_WEBHOOK_ALLOW_PRIVATE", "")
    get_settings.cache_clear()
    api = {"name": "meta", "url": "http://169.254.169.254/latest", "method": "GET"}
    internal = {"name": "local", "url": "http://127.0.0.1:9/x", "method": "POST"}
    llm.script = [
        completion(tool_calls=[("api_meta", "{}"), ("api_local", "{}")]),
        completion("Sorry, I can't check that."),
    ]
    await ask(openai_ai(llm, custom_api=[api, internal]), "check")
    tool_replies = [m["content"] for m in llm.requests[1]["messages"] if m["role"] == "tool"]
    assert all(reply.startswith("error: refused") for reply in tool_replies), tool_replies
