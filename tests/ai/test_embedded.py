"""The embedded AI for real (the ONNX model, no mocks) on a fixture knowledge base."""

from __future__ import annotations

import pytest

from botdesk.ai.embedded.intents import find_contact
from botdesk.ai.embedded.provider import EmbeddedProvider
from botdesk.ai.providers import AnswerContext, AnswerResult, Turn
from botdesk.ai.settings import AISettings
from tests.ai.conftest import make_ai


async def ask(text: str, **ai_fields: object) -> AnswerResult:
    ai = make_ai(**ai_fields)
    return await EmbeddedProvider().answer(ai, [Turn("user", text)], AnswerContext())


def flags(result: AnswerResult) -> set[str]:
    return {f.flag for f in result.flags}


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("when are you open?", "We are open 9:00-18:00, Mon-Fri."),
        ("how much is shipping", "Delivery costs $5; free for orders over $50."),
        ("KT-1700 price?", "The KT-1700 kettle is $39."),
        ("сколько стоит доставка?", "Доставка по городу стоит 20 000 сум."),
        ("во сколько вы работаете, какой график", "Мы работаем с 9:00 до 18:00 по будням."),
        (
            "where is your store located?",
            "Our store is at 5 Lake Road, next to the central bus station.",
        ),
    ],
)
async def test_confident_question_gets_the_knowledge_base_answer(
    question: str, answer: str
) -> None:
    result = await ask(question)
    assert result.text == answer
    assert result.flags == ()


async def test_off_topic_gets_the_fallback_text() -> None:
    result = await ask("who won the football match yesterday?")
    assert result.text == AISettings().fallback_text
    assert result.flags == ()


async def test_fallback_text_and_operator_handover_are_settings() -> None:
    result = await ask(
        "write me a poem about cats",
        settings={"fallback_text": "Передам коллеге.", "fallback_operator": True},
    )
    assert result.text == "Передам коллеге."
    assert flags(result) == {"operator"}


async def test_email_sets_get_contact_with_the_address() -> None:
    result = await ask("my email is Jane.Doe@Example.com")
    assert flags(result) == {"get_contact"}
    assert result.flags[0].contact == "jane.doe@example.com"
    assert result.text == AISettings().contact_text


async def test_phone_is_normalised_to_e164() -> None:
    assert find_contact("звоните 8 916 123-45-67", ("RU",)) == "+79161234567"
    result = await ask("call me on +998 90 123 45 67")
    assert result.flags[0].contact == "+998901234567"


async def test_username_is_a_contact_but_prices_and_skus_are_not() -> None:
    assert find_contact("my telegram is @aziza_learns", ("UZ",)) == "@aziza_learns"
    assert find_contact("KT-1700 for $39 and order 2024-0001", ("UZ", "RU", "US")) is None


async def test_wants_a_human_sets_operator_with_the_handover_text() -> None:
    result = await ask("I want to talk to a real person")
    assert flags(result) == {"operator"}
    assert result.text == AISettings().handover_text


async def test_goodbye_sets_close() -> None:
    result = await ask("Спасибо, до свидания!")
    assert flags(result) == {"close"}
    assert result.text == AISettings().goodbye_text


async def test_wanting_to_buy_sets_interest_and_still_answers() -> None:
    result = await ask("I want to buy the KT-1700 kettle, how much is it?")
    assert flags(result) == {"interest"}
    assert result.text == "The KT-1700 kettle is $39."


async def test_agreeing_sets_success() -> None:
    result = await ask("Great, I'll take it")
    assert flags(result) == {"success"}
    assert result.text == AISettings().success_text


async def test_disabled_functions_set_no_flags() -> None:
    result = await ask("I want to talk to a real person", functions=["get_contact"])
    assert result.flags == ()


async def test_a_burst_of_fragments_is_answered_as_one_question() -> None:
    ai = make_ai()
    history = [
        Turn("bot", "Hi!"),
        Turn("user", "hello"),
        Turn("user", "how much"),
        Turn("user", "is delivery?"),
    ]
    result = await EmbeddedProvider().answer(ai, history, AnswerContext())
    assert result.text == "Delivery costs $5; free for orders over $50."


async def test_vectors_are_computed_once_and_reused_from_the_store() -> None:
    stored: dict[tuple[str, str, str], bytes] = {}
    saves = []

    async def load(ai_id: str, kb_hash: str, model_id: str) -> bytes | None:
        return stored.get((ai_id, kb_hash, model_id))

    async def save(ai_id: str, kb_hash: str, model_id: str, blob: bytes) -> None:
        saves.append(kb_hash)
        stored[(ai_id, kb_hash, model_id)] = blob

    from botdesk.ai.embedded import provider as module

    module._indexes.clear()
    context = AnswerContext(load_vectors=load, save_vectors=save)
    ai = make_ai(id="ai-cache", knowledge=[{"question": "Parking?", "answer": "Free parking."}])
    first = await EmbeddedProvider().answer(ai, [Turn("user", "is there parking?")], context)
    module._indexes.clear()  # a new process: memory is empty, the database is not
    second = await EmbeddedProvider().answer(ai, [Turn("user", "is there parking?")], context)
    assert first.text == second.text == "Free parking."
    assert len(saves) == 1


async def test_answers_are_deterministic() -> None:
    texts = {(await ask("how much is shipping to my town?")).text for _ in range(3)}
    assert len(texts) == 1


async def test_answers_generated_together_equal_answers_one_at_a_time() -> None:
    """Concurrent answers share one encoder batch; that must not change any answer."""
    import asyncio

    import numpy as np

    from botdesk.ai.embedded.encoder import get_encoder
    from botdesk.ai.embedded.provider import encode_bucketed

    texts = [
        "when are you open?",
        "how much is shipping",
        "KT-1700 price?",
        "сколько стоит доставка?",
        "I want to talk to a human",
        "my phone is +998 90 123 45 67",
        "who won the football match yesterday?",
        "bye, thanks",
        "во сколько вы работаете, какой график",
        "where is your store located?",
    ]
    encoder = get_encoder()
    alone = np.vstack([encoder.encode([t], query=True) for t in texts])
    assert np.allclose(encode_bucketed(encoder, texts), alone, atol=1e-6)
    ai = make_ai()

    async def one(text: str) -> AnswerResult:
        return await EmbeddedProvider().answer(ai, [Turn("user", text)], AnswerContext())

    together = await asyncio.gather(*(one(t) for t in texts))
    one_by_one = [await one(t) for t in texts]
    assert [(r.text, r.flags, r.source) for r in together] == [
        (r.text, r.flags, r.source) for r in one_by_one
    ]
