"""The provider interface: the rest of botdesk asks for an answer and cannot tell whether the
embedded assistant or an OpenAI-compatible LLM wrote it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from botdesk.models import AI

# Loads / stores cached knowledge-base vectors: (ai_id, kb_hash, model_id) -> bytes.
VectorLoad = Callable[[str, str, str], Awaitable[bytes | None]]
VectorSave = Callable[[str, str, str, bytes], Awaitable[None]]


@dataclass(frozen=True)
class Turn:
    """One message of the history as the AI sees it."""

    role: str  # "user" | "bot" | "operator"
    text: str


@dataclass(frozen=True)
class Usage:
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float = 0.0


@dataclass(frozen=True)
class FlagRequest:
    flag: str
    contact: str | None = None


@dataclass(frozen=True)
class ReminderRequest:
    """A follow-up the AI booked (scheduler function): after `delay_seconds`, send `text`."""

    delay_seconds: float
    text: str = ""


@dataclass(frozen=True)
class AnswerResult:
    text: str
    flags: tuple[FlagRequest, ...] = ()
    usage: Usage = Usage()
    reminders: tuple[ReminderRequest, ...] = ()
    # Where the text came from ("kb", "fallback", "handover", "llm", ...), for logs and bench.
    source: str = ""
    confidence: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class AnswerContext:
    """What a provider may need besides the history."""

    # "answer" a user, write a "reminder", or the "greeting" of an outbound dialog.
    purpose: str = "answer"
    # Instruction for a reminder or greeting written by the AI.
    instruction: str = ""
    chat_id: str = ""
    contact: str = ""
    load_vectors: VectorLoad | None = None
    save_vectors: VectorSave | None = None


class ProviderError(Exception):
    """The provider could not answer now (network, 5xx, timeout); the job is retried."""


class Provider(Protocol):
    async def answer(self, ai: AI, history: list[Turn], context: AnswerContext) -> AnswerResult: ...


def cost(usage_in: int, usage_out: int, price_in: float, price_out: float) -> Usage:
    """Usage with its cost from prices per 1M tokens."""
    usd = (usage_in * price_in + usage_out * price_out) / 1_000_000
    return Usage(usage_in, usage_out, round(usd, 8))


def get_provider(ai: AI) -> Provider:
    """The provider for an AI row (`embedded` unless it says `openai`)."""
    if ai.provider == "openai":
        from botdesk.ai.openai_provider import OpenAIProvider

        return OpenAIProvider()
    from botdesk.ai.embedded.provider import EmbeddedProvider

    return EmbeddedProvider()
