"""The `openai` provider: any OpenAI-compatible chat-completions server through the official
SDK. Knowledge-base passages retrieved like the embedded AI's go into the context; enabled
functions are tools. A server that rejects tools gets a JSON classification prompt instead.
"""

from __future__ import annotations

import json
from typing import Any

import openai
from openai import AsyncOpenAI

from botdesk.ai import llm_prompts as prompts
from botdesk.ai.custom_api import call_custom_api, parse_arguments, tool_name
from botdesk.ai.embedded.encoder import get_encoder
from botdesk.ai.embedded.provider import knowledge_index, pending_user_text, query_batcher
from botdesk.ai.providers import (
    AnswerContext,
    AnswerResult,
    FlagRequest,
    ProviderError,
    ReminderRequest,
    Turn,
    cost,
)
from botdesk.ai.settings import AISettings, enabled_functions
from botdesk.models import AI

# Model ↔ tool round trips per answer (a tool result goes back to the model).
MAX_TOOL_ROUNDS = 3
TAG_FUNCTIONS = ("success", "get_contact", "interest", "close", "operator")
# Errors that mean "try again later"; anything else from the server is a failure too.
RETRYABLE = (openai.APIConnectionError, openai.APITimeoutError, openai.APIStatusError)


class OpenAIProvider:
    async def answer(self, ai: AI, history: list[Turn], context: AnswerContext) -> AnswerResult:
        settings = AISettings.of(ai)
        client = AsyncOpenAI(
            base_url=ai.base_url or None,
            api_key=ai.api_key or "not-needed",
            timeout=settings.timeout_seconds,
            max_retries=settings.max_retries,
        )
        passages = await self._passages(ai, history, context, settings)
        messages = prompts.build_messages(ai, history, context, passages)
        functions = enabled_functions(ai) if context.purpose == "answer" else ()
        tools = prompts.tool_specs(functions, settings.custom_api)
        run = _Run(settings)
        try:
            text = await run.converse(client, ai, messages, tools)
        except openai.BadRequestError as exc:
            if not tools or "tool" not in str(exc).lower():
                raise ProviderError(f"LLM rejected the request: {exc}") from exc
            text = await run.classify(client, ai, messages, functions)
        except RETRYABLE as exc:
            raise ProviderError(f"LLM unavailable: {exc}") from exc
        finally:
            await client.close()
        return run.result(text, fallback=context.purpose == "answer")

    async def _passages(
        self, ai: AI, history: list[Turn], context: AnswerContext, settings: AISettings
    ) -> list[str]:
        query = pending_user_text(history) or context.instruction
        if not query or not (ai.knowledge or ai.knowledge_text):
            return []
        encoder = get_encoder()
        index = await knowledge_index(ai, context, encoder)
        vector = await query_batcher(encoder).encode(query)
        hits = index.search(query, vector, settings.context_passages)
        return [prompts.format_entry(h.entry) for h in hits if h.score > 0.1]


class _Run:
    """State of one answer: usage, flags and reminders gathered over the tool rounds."""

    def __init__(self, settings: AISettings) -> None:
        self.settings = settings
        self.tokens_in = 0
        self.tokens_out = 0
        self.flags: list[FlagRequest] = []
        self.reminders: list[ReminderRequest] = []

    async def _create(self, client: AsyncOpenAI, ai: AI, messages: list[Any], **extra: Any) -> Any:
        response = await client.chat.completions.create(
            model=ai.model or "default",
            messages=messages,
            temperature=max(0.0, min(2.0, ai.temperature)),
            top_p=max(0.0, min(1.0, ai.top_p)),
            **extra,
        )
        if response.usage:
            self.tokens_in += response.usage.prompt_tokens or 0
            self.tokens_out += response.usage.completion_tokens or 0
        if not response.choices:
            raise ProviderError("LLM returned no choices")
        return response.choices[0].message

    async def converse(
        self, client: AsyncOpenAI, ai: AI, messages: list[Any], tools: list[dict[str, Any]]
    ) -> str:
        for _ in range(MAX_TOOL_ROUNDS):
            message = await self._create(
                client, ai, messages, **({"tools": tools} if tools else {})
            )
            calls = message.tool_calls or []
            if not calls:
                return message.content or ""
            messages.append(
                {
                    "role": "assistant",
                    "content": message.content or "",
                    "tool_calls": [
                        {
                            "id": c.id,
                            "type": "function",
                            "function": {
                                "name": c.function.name,
                                "arguments": c.function.arguments,
                            },
                        }
                        for c in calls
                    ],
                }
            )
            for call in calls:
                reply = await self.run_tool(call.function.name, call.function.arguments)
                messages.append({"role": "tool", "tool_call_id": call.id, "content": reply})
        return ""

    async def run_tool(self, name: str, raw_arguments: str | None) -> str:
        arguments = parse_arguments(raw_arguments)
        if arguments is None:
            return "error: arguments must be a JSON object; call the function again"
        if name in TAG_FUNCTIONS:
            contact = str(arguments.get("contact") or "")[:500] or None
            self.flags.append(FlagRequest(name, contact if name == "get_contact" else None))
            return "ok"
        if name == "scheduler":
            minutes = float(arguments.get("delay_minutes") or 0) + 60 * float(
                arguments.get("delay_hours") or 0
            )
            if minutes <= 0:
                return "error: give delay_minutes or delay_hours"
            self.reminders.append(ReminderRequest(minutes * 60, str(arguments.get("text") or "")))
            return "ok, reminder booked"
        for definition in self.settings.custom_api:
            if tool_name(definition) == name:
                return await call_custom_api(definition, arguments)
        return f"error: unknown function {name}"

    async def classify(
        self, client: AsyncOpenAI, ai: AI, messages: list[Any], functions: tuple[str, ...]
    ) -> str:
        """No tool support: ask for the reply and the functions as one JSON object."""
        messages = [*messages, {"role": "system", "content": prompts.json_instruction(functions)}]
        content = (await self._create(client, ai, messages)).content or ""
        parsed = prompts.parse_json_reply(content)
        if parsed is None:
            return content
        for item in parsed.get("functions") or []:
            name = item.get("name") if isinstance(item, dict) else item
            if name in functions and name in TAG_FUNCTIONS:
                await self.run_tool(str(name), json.dumps(item if isinstance(item, dict) else {}))
        return str(parsed.get("reply") or "")

    def result(self, text: str, *, fallback: bool) -> AnswerResult:
        names = {f.flag for f in self.flags}
        text = text.strip()
        if not text:
            text = self.settings.handover_text if "operator" in names else ""
        usage = cost(
            self.tokens_in,
            self.tokens_out,
            self.settings.price_input_per_1m,
            self.settings.price_output_per_1m,
        )
        return AnswerResult(
            text=text or (self.settings.fallback_text if fallback else ""),
            flags=tuple(self.flags),
            usage=usage,
            reminders=tuple(self.reminders),
            source="llm",
        )
