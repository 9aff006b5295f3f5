"""Per-AI behaviour settings, read from `AI.settings` (JSON) with defaults.

Everything a company may want to tune without code lives here: the fixed texts (in any
language), the embedded AI's thresholds and example phrases, debounce, prices and retries.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

# Tag functions enabled when an AI lists none (SPEC §3.1: default all tag functions).
DEFAULT_FUNCTIONS = ("success", "get_contact", "interest", "close", "operator")
ALL_FUNCTIONS = (*DEFAULT_FUNCTIONS, "scheduler", "custom_api")


@dataclass(frozen=True)
class AISettings:
    # Reply when the knowledge base has no confident answer.
    fallback_text: str = "Thank you for your question! I'll pass it to a colleague who will reply."
    # Reply when the user asks for a person (operator function).
    handover_text: str = "Of course — I'm passing the conversation to a colleague."
    # Reply when the user says goodbye or refuses further contact (close function).
    goodbye_text: str = "Thank you for reaching out! Have a good day."
    # Reply when the user only shared a contact.
    contact_text: str = "Thank you! We've saved your contact and a colleague will get in touch."
    # Reply when the user agrees to a meeting, call or purchase.
    success_text: str = "Great, it's noted! A colleague will confirm the details with you shortly."
    # Reply when the user wants to buy but the knowledge base has nothing specific.
    interest_text: str = "Great! A colleague will prepare an offer for you shortly."
    # Whether a fallback reply also hands the dialog to an operator.
    fallback_operator: bool = False
    # Fused retrieval score (0-1) above which the knowledge base's answer is sent.
    answer_threshold: float = 0.3
    # Cosine similarity (0-1) an intent example must reach to vote.
    intent_threshold: float = 0.82
    # Extra example phrases per function, added to the built-in EN+RU ones.
    intent_examples: dict[str, list[str]] = field(default_factory=dict)
    # Regions tried, in order, to read phone numbers written without a country code.
    phone_regions: tuple[str, ...] = ("UZ", "RU", "US", "GB")
    # Quiet time after a user message before answering, in seconds.
    debounce_seconds: float = 3.0
    # Longest a burst of messages may delay the answer, in seconds.
    max_wait_seconds: float = 15.0
    # Price per 1M input / output tokens, in USD (embedded: 0).
    price_input_per_1m: float = 0.0
    price_output_per_1m: float = 0.0
    # LLM request timeout, in seconds, and SDK retries per attempt.
    timeout_seconds: float = 30.0
    max_retries: int = 2
    # Failed attempts after which the dialog is handed to an operator.
    max_failures: int = 5
    # Delay before retrying a failed answer, per attempt, in seconds (the last repeats).
    retry_seconds: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
    # Knowledge passages put into an LLM's context.
    context_passages: int = 4
    # History messages put into an LLM's context.
    history_messages: int = 20
    # custom_api definitions: name, description, url, method, headers, parameters (JSON schema).
    custom_api: tuple[dict[str, Any], ...] = ()
    # First message of an outbound dialog: "fixed" (task greeting) or "ai" (written by the AI).
    first_message: str = "fixed"
    # Follow-up the embedded AI sends for a reminder of type "ai" (it writes no free text).
    followup_text: str = "Just checking in — do you have any other questions?"
    # Greeting of an outbound dialog when the task sets none.
    greeting_text: str = "Hello! I'm here if you have any questions."

    @classmethod
    def of(cls, ai: Any) -> AISettings:
        """Settings of an AI row (or anything with a `settings` dict)."""
        raw = dict(getattr(ai, "settings", None) or {})
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for name, value in raw.items():
            if name not in known or value is None:
                continue
            if isinstance(value, list):
                value = tuple(value)
            values[name] = value
        return cls(**values)


def enabled_functions(ai: Any) -> tuple[str, ...]:
    """The AI's functions, or the default tag functions when it lists none."""
    listed = [f for f in (getattr(ai, "functions", None) or []) if f in ALL_FUNCTIONS]
    return tuple(listed) if listed else DEFAULT_FUNCTIONS
