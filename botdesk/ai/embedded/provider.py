"""The embedded provider: answers from the knowledge base only, deterministic, offline.

Order of decisions: a request for a person or a goodbye wins; an agreement without a
question gets the success text; otherwise a confident knowledge-base hit is sent verbatim;
then contact / interest acknowledgements; else the fallback. No text is ever composed from
pieces, so it cannot invent a price or a policy.
"""

from __future__ import annotations

import asyncio
import threading
import weakref
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
# Queries per encoder call when a round is encoded together: texts of similar length share a
# call so little is padded (measured on bench/data: 8 is ~40% cheaper than one call per text).
ENCODE_CHUNK = 8

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


class QueryBatcher:
    """Encodes the queries of answers generated concurrently as one batch, in a thread.

    A worker generates a round of answers at once; encoding them together costs about 60% of
    separate calls, and running it off the event loop lets the process serve HTTP and deliver
    webhooks meanwhile. Vectors do not depend on the batch (checked in
    tests), so answers stay deterministic.
    """

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.pending: list[tuple[str, asyncio.Future[np.ndarray]]] = []

    async def encode(self, text: str) -> np.ndarray:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[np.ndarray] = loop.create_future()
        self.pending.append((text, future))
        if len(self.pending) == 1:  # the first of a round: encode once the others queued too
            loop.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        batch, self.pending = self.pending, []
        try:
            vectors = await asyncio.to_thread(encode_bucketed, self.encoder, [t for t, _ in batch])
        except Exception as exc:  # noqa: BLE001 - each waiting answer gets the error
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        for (_, future), vector in zip(batch, vectors, strict=True):
            if not future.done():
                future.set_result(vector)


def encode_bucketed(encoder: Encoder, texts: list[str]) -> np.ndarray:
    """Query vectors for `texts`, encoded in chunks of texts of similar length (less padding)."""
    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    vectors = np.zeros((len(texts), encoder.dim), dtype=np.float32)
    for start in range(0, len(order), ENCODE_CHUNK):
        chunk = order[start : start + ENCODE_CHUNK]
        vectors[chunk] = encoder.encode([texts[i] for i in chunk], query=True)
    return vectors


_batchers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, QueryBatcher]] = (
    weakref.WeakKeyDictionary()
)


def query_batcher(encoder: Encoder) -> QueryBatcher:
    """The running event loop's batcher for `encoder`."""
    per_loop = _batchers.setdefault(asyncio.get_running_loop(), {})
    batcher = per_loop.get(id(encoder))
    if batcher is None or batcher.encoder is not encoder:
        batcher = per_loop[id(encoder)] = QueryBatcher(encoder)
    return batcher


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
        text = pending_user_text(history)
        vector = await query_batcher(encoder).encode(text) if text else None
        return decide(ai, settings, encoder, index, text, vector=vector)


def decide(
    ai: AI,
    settings: AISettings,
    encoder: Encoder,
    index: KnowledgeIndex,
    text: str,
    *,
    vector: np.ndarray | None = None,
) -> AnswerResult:
    """The reply and flags for one burst of user text (`vector`: its encoding, if known)."""
    if not text:
        return AnswerResult(text="", source="empty")
    if vector is None:
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
