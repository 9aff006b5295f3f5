"""The embedded provider: answers from the knowledge base only, deterministic, offline.

Order of decisions: a request for a person or a goodbye wins; an agreement without a
question gets the success text; otherwise a confident knowledge-base hit is sent verbatim;
then contact / interest acknowledgements; else the fallback. No text is ever composed from
pieces, so it cannot invent a price or a policy.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict

import numpy as np

from botdesk.ai.embedded.encoder import Encoder, get_encoder
from botdesk.ai.embedded.intents import IntentModel, strip_contacts
from botdesk.ai.embedded.knowledge import (
    Hit,
    KnowledgeIndex,
    build_entries,
    build_index,
    knowledge_hash,
)
from botdesk.ai.providers import AnswerContext, AnswerResult, FlagRequest, Turn
from botdesk.ai.settings import AISettings, enabled_functions
from botdesk.models import AI

# Knowledge indexes kept in memory per process (each is a few hundred KB).
INDEX_CACHE_SIZE = 256
# Extra retrieval score a message without a question mark needs when it states an intent.
STATEMENT_MARGIN = 0.15

_indexes: OrderedDict[str, KnowledgeIndex] = OrderedDict()
_intent_models: dict[str, IntentModel] = {}
_lock = threading.Lock()


async def knowledge_index(ai: AI, context: AnswerContext, encoder: Encoder) -> KnowledgeIndex:
    """The AI's index: from memory, else from the database's vectors, else computed (and saved)."""
    key = knowledge_hash(ai.knowledge, ai.knowledge_text, encoder.model_id)
    with _lock:
        if key in _indexes:
            _indexes.move_to_end(key)
            return _indexes[key]
    entries = build_entries(ai.knowledge, ai.knowledge_text)
    cached: np.ndarray | None = None
    if context.load_vectors and ai.id:
        blob = await context.load_vectors(ai.id, key, encoder.model_id)
        if blob:
            cached = np.frombuffer(blob, dtype=np.float32).reshape(-1, encoder.dim)
    index = await asyncio.to_thread(build_index, entries, encoder, cached)
    if cached is None and context.save_vectors and ai.id and entries:
        vectors = np.vstack([index.question_vectors, index.answer_vectors])
        await context.save_vectors(ai.id, key, encoder.model_id, vectors.tobytes())
    with _lock:
        _indexes[key] = index
        while len(_indexes) > INDEX_CACHE_SIZE:
            _indexes.popitem(last=False)
    return index


def intent_model(encoder: Encoder, settings: AISettings) -> IntentModel:
    key = f"{encoder.model_id}:{sorted((k, tuple(v)) for k, v in settings.intent_examples.items())}"
    with _lock:
        model = _intent_models.get(key)
    if model is None:
        model = IntentModel(encoder, settings.intent_examples)
        with _lock:
            _intent_models[key] = model
    return model


def pending_user_text(history: list[Turn]) -> str:
    """The user's messages since the last bot or operator message (one debounced burst)."""
    burst: list[str] = []
    for turn in reversed(history):
        if turn.role != "user":
            break
        burst.append(turn.text)
    return "\n".join(reversed(burst)).strip()


class EmbeddedProvider:
    def __init__(self, encoder: Encoder | None = None) -> None:
        self._encoder = encoder

    async def answer(self, ai: AI, history: list[Turn], context: AnswerContext) -> AnswerResult:
        encoder = self._encoder or get_encoder()
        settings = AISettings.of(ai)
        if context.purpose == "reminder":  # it writes no free text: the configured follow-up
            return AnswerResult(text=settings.followup_text, source="followup")
        if context.purpose != "answer":  # greeting: the task's fixed greeting is used
            return AnswerResult(text="", source="none")
        index = await knowledge_index(ai, context, encoder)
        return decide(ai, settings, encoder, index, pending_user_text(history))


def decide(
    ai: AI, settings: AISettings, encoder: Encoder, index: KnowledgeIndex, text: str
) -> AnswerResult:
    """The reply and flags for one burst of user text."""
    if not text:
        return AnswerResult(text="", source="empty")
    vector = encoder.encode([text], query=True)[0]
    enabled = enabled_functions(ai)
    intents = intent_model(encoder, settings).detect(
        text,
        vector,
        enabled=enabled,
        threshold=settings.intent_threshold,
        regions=settings.phone_regions,
    )
    flags = [FlagRequest(f, intents.contact if f == "get_contact" else None) for f in intents.flags]
    names = set(intents.flags)
    query, query_vector = text, vector
    if intents.contact:  # a shared contact is no question: search what is left of the text
        query = strip_contacts(text)
        query_vector = encoder.encode([query], query=True)[0] if query else vector
    hits = index.search(query, query_vector) if query else []
    best: Hit | None = hits[0] if hits else None
    # A statement of intent ("I want to buy a laptop") needs a clearer hit than a question.
    bar = settings.answer_threshold
    if names & {"interest", "get_contact"} and "?" not in text:
        bar += STATEMENT_MARGIN
    confident = best is not None and best.score >= bar
    score = best.score if best else 0.0

    def reply(body: str, source: str) -> AnswerResult:
        return AnswerResult(text=body, flags=tuple(flags), source=source, confidence=score)

    if "operator" in names:
        return reply(settings.handover_text, "handover")
    if "close" in names:
        return reply(settings.goodbye_text, "goodbye")
    if "success" in names and "?" not in text:
        return reply(settings.success_text, "success")
    if confident and best is not None:
        return reply(best.entry.reply, f"kb:{best.entry.kind}:{best.entry.index}")
    if "success" in names:
        return reply(settings.success_text, "success")
    if "get_contact" in names:
        return reply(settings.contact_text, "contact")
    if "interest" in names:
        return reply(settings.interest_text, "interest")
    if settings.fallback_operator and "operator" in enabled:
        flags.append(FlagRequest("operator"))
    return reply(settings.fallback_text, "fallback")
