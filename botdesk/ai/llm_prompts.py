"""What an LLM is shown: the instruction prompt, retrieved knowledge, the dialog, and the
functions as tools (or, for servers without tools, as a JSON answer format)."""

from __future__ import annotations

import json
import re
from typing import Any

from botdesk.ai.custom_api import tool_spec
from botdesk.ai.embedded.knowledge import Entry
from botdesk.ai.providers import AnswerContext, Turn
from botdesk.ai.settings import AISettings
from botdesk.models import AI

GUARDRAIL = (
    "Answer in the user's language, briefly. Use only the knowledge below for facts, prices "
    "and policies; if it does not cover the question, say a colleague will reply. "
    "Never invent prices or policies."
)
DESCRIPTIONS = {
    "success": "The user agreed to a meeting, a call or a purchase.",
    "get_contact": "The user shared a phone number, e-mail or username.",
    "interest": "The user wants to buy or asks for a quote.",
    "close": "The user says goodbye or refuses further contact.",
    "operator": "The user asks for a human, or you cannot help.",
    "scheduler": "The user asks to be contacted later: book a follow-up.",
}
ROLES = {"user": "user", "bot": "assistant", "operator": "assistant"}


def format_entry(entry: Entry) -> str:
    return f"Q: {entry.question}\nA: {entry.reply}" if entry.question else entry.reply


def build_messages(
    ai: AI, history: list[Turn], context: AnswerContext, passages: list[str]
) -> list[dict[str, Any]]:
    system = [ai.prompt.strip() or "You are a helpful sales and support assistant.", GUARDRAIL]
    if passages:
        system.append("Knowledge:\n" + "\n\n".join(passages))
    messages: list[dict[str, Any]] = [{"role": "system", "content": "\n\n".join(system)}]
    limit = AISettings.of(ai).history_messages
    for turn in history[-limit:]:
        text = f"(operator) {turn.text}" if turn.role == "operator" else turn.text
        messages.append({"role": ROLES.get(turn.role, "user"), "content": text})
    if context.purpose == "reminder":
        messages.append(
            {
                "role": "system",
                "content": "Write a short follow-up message to the "
                f"user. Instruction: {context.instruction}",
            }
        )
    elif context.purpose == "greeting":
        messages.append(
            {
                "role": "system",
                "content": "Write the first message to a new "
                "contact: greet them briefly and offer help.",
            }
        )
    return messages


def tool_specs(functions: tuple[str, ...], custom_api: tuple[dict[str, Any], ...]) -> list[Any]:
    specs: list[dict[str, Any]] = []
    for name in functions:
        if name in DESCRIPTIONS:
            properties: dict[str, Any] = {}
            if name == "get_contact":
                properties["contact"] = {
                    "type": "string",
                    "description": "phone, e-mail or @username",
                }
            if name == "scheduler":
                properties = {
                    "delay_minutes": {"type": "number"},
                    "delay_hours": {"type": "number"},
                    "text": {"type": "string", "description": "the follow-up to send"},
                }
            specs.append(
                {
                    "type": "function",
                    "function": {
                        "name": name,
                        "description": DESCRIPTIONS[name],
                        "parameters": {"type": "object", "properties": properties},
                    },
                }
            )
    if "custom_api" in functions:
        specs.extend(tool_spec(d) for d in custom_api)
    return specs


def json_instruction(functions: tuple[str, ...]) -> str:
    listed = "; ".join(f"{n}: {DESCRIPTIONS[n]}" for n in functions if n in DESCRIPTIONS)
    return (
        'Reply with one JSON object only: {"reply": "<your message to the user>", '
        '"functions": [{"name": "<function>", "contact": "<only for get_contact>"}]}. '
        f"Functions that apply to the user's last message: {listed}. Use [] when none applies."
    )


def parse_json_reply(content: str) -> dict[str, Any] | None:
    """The JSON object in a classification reply (also inside a ```json fence), else None."""
    match = re.search(r"\{.*\}", content, re.S)
    if not match:
        return None
    try:
        value = json.loads(match.group(0))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
