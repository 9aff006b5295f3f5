"""The openai provider against a real OpenAI-compatible server: llama.cpp (xllamacpp) serving
SmolLM2-135M-Instruct on 127.0.0.1. A 135M model's wording is not what is tested, only that a
real server's completions, tool handling and usage come through the provider intact.

Skipped when xllamacpp cannot run here; under CI=true that is a failure instead.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from botdesk.ai.openai_provider import OpenAIProvider
from botdesk.ai.providers import AnswerContext, Turn
from botdesk.ai.settings import DEFAULT_FUNCTIONS, AISettings
from tests.ai.conftest import make_ai
from tests.ai.llama_server import Unavailable, llama_server
from tests.support.environment import missing

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]


@pytest.fixture(scope="module")
def llm_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("llama") / "server.log"
    try:
        with llama_server(log) as url:
            yield url
            return
    except Unavailable as exc:
        missing(f"real OpenAI-compatible server unavailable: {exc}")


def real_ai(url: str, **fields: Any) -> Any:
    return make_ai(
        provider="openai",
        base_url=url,
        model="smollm2",
        temperature=0.0,
        top_p=1.0,
        prompt="You are the assistant of a small kettle shop.",
        settings={
            "timeout_seconds": 60,
            "max_retries": 0,
            "price_input_per_1m": 1.0,
            "price_output_per_1m": 2.0,
        },
        **fields,
    )


async def test_real_server_answers_a_user_through_the_provider(llm_url: str) -> None:
    ai = real_ai(llm_url)
    result = await OpenAIProvider().answer(
        ai, [Turn("user", "How much is the kettle KT-1700?")], AnswerContext()
    )
    assert result.source == "llm"
    assert result.text.strip()
    # The prompt (instruction, knowledge, tools) was counted, and so was the model's output.
    assert result.usage.input_tokens > 50 and result.usage.output_tokens > 0
    assert result.usage.cost_usd > 0
    # Whatever tools the tiny model chose to call, only enabled functions became flags.
    assert {f.flag for f in result.flags} <= set(DEFAULT_FUNCTIONS)


async def test_real_server_writes_a_greeting_without_tools(llm_url: str) -> None:
    """No tools and no fallback text for a greeting: the text is the model's own."""
    result = await OpenAIProvider().answer(
        real_ai(llm_url), [], AnswerContext(purpose="greeting", chat_id="lead-1")
    )
    assert result.source == "llm" and result.text.strip()
    assert result.text != AISettings().fallback_text
    assert result.usage.input_tokens > 0 and result.usage.output_tokens > 0
    assert result.flags == () and result.reminders == ()
