"""AI: prompt, provider, creativity and diversity, knowledge base, functions, reminders, and a
"Test AI" box that answers without creating a dialog."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response
from starlette.datastructures import FormData

from botdesk.ai.providers import AnswerContext, ProviderError, Turn, get_provider
from botdesk.api import schemas as s
from botdesk.models import AI
from botdesk.panel.deps import Ctx, CtxDep, FormDep
from botdesk.panel.forms import Field, FormErrors
from botdesk.panel.pages.resources import Resource, edit_page, load, resource_router
from botdesk.setup import service

# What each function lets the AI do, shown beside its checkbox.
FUNCTIONS = (
    ("success", "Successful dialog: the user agreed to a meeting, call or purchase"),
    ("get_contact", "Contact received: the user shared a phone, email or username"),
    ("interest", "Interest shown: the user wants to buy or learn more"),
    ("close", "Close the dialog: the user says goodbye or refuses further contact"),
    ("operator", "Transfer to an operator: the user asks for a person; the AI goes silent"),
    ("scheduler", "Scheduler: book a follow-up when the user asks to be contacted later"),
    ("custom_api", "Custom API: call an external HTTP service and answer with the result"),
)
REMINDER_FLAGS = (
    "success", "get_contact", "interest", "close", "is_bot", "operator", "user_replied",
)  # fmt: skip
# Longest question the Test AI box sends, in characters.
MAX_TEST_CHARS = 4000


def _knowledge_and_reminders(form: FormData, errors: FormErrors) -> dict[str, Any]:
    """Knowledge rows (question + answer) and reminder rows from the editor's repeated fields."""
    if "kb_present" not in form:
        return {}
    knowledge = [
        {"question": str(q).strip(), "answer": str(a).strip()}
        for q, a in zip(form.getlist("kb_question"), form.getlist("kb_answer"), strict=False)
        if str(q).strip() or str(a).strip()
    ]
    reminders = []
    rows = zip(
        form.getlist("rem_delay"),
        form.getlist("rem_kind"),
        form.getlist("rem_text"),
        form.getlist("rem_cancel"),
        strict=False,
    )
    for delay, kind, text, cancel in rows:
        if not str(delay).strip():
            continue
        try:
            minutes = float(str(delay).replace(",", "."))
        except ValueError:
            errors["reminders"] = "each reminder's delay must be a number of minutes"
            continue
        flags = [f.strip() for f in str(cancel).split(",") if f.strip() in REMINDER_FLAGS]
        reminders.append(
            {"delay_minutes": minutes, "type": str(kind), "text": str(text), "cancel_flags": flags}
        )
    return {"knowledge": knowledge, "reminders": reminders}


async def _create(session: Any, *, company_id: str, data: dict) -> AI:
    return await service.create_ai(session, company_id=company_id, data=data)


async def _extra(ctx: Ctx, ai: AI) -> dict[str, Any]:
    return {"functions": FUNCTIONS, "reminder_flags": REMINDER_FLAGS, "answer": None}


ais = Resource(
    path="ais",
    title="AI",
    noun="AI",
    model=AI,
    create_schema=s.AICreate,
    update_schema=s.AIUpdate,
    create=_create,
    edit_template="ai.html",
    extra=_extra,
    extra_parse=_knowledge_and_reminders,
    intro="How the assistant behaves. The embedded AI needs no keys; any OpenAI-compatible "
    "server works too.",
    fields=(
        Field("name", "Name", required=True),
        Field(
            "provider",
            "Provider",
            "select",
            (("embedded", "Embedded (no network, no keys)"), ("openai", "OpenAI-compatible")),
        ),
        Field("prompt", "Instruction prompt", "textarea", attrs={"rows": "6"}),
        Field("model", "Model", help="e.g. gpt-4o-mini (OpenAI-compatible only)", edit_only=True),
        Field("base_url", "Base URL", help="empty = api.openai.com", edit_only=True),
        Field("api_key", "API key", "password", help="left empty = unchanged", edit_only=True),
        Field("temperature", "Creativity", "number", edit_only=True),
        Field("top_p", "Diversity threshold", "number", edit_only=True),
        Field("functions", "Functions", "multi", options=FUNCTIONS, edit_only=True),
        Field("knowledge_text", "Knowledge (free text)", "textarea", edit_only=True),
    ),
    columns=(
        ("Name", lambda a: a.name),
        ("Provider", lambda a: a.provider + (f" · {a.model}" if a.model else "")),
        ("Knowledge", lambda a: f"{len(a.knowledge or [])} Q&A"),
    ),
)

router = resource_router(ais)


@router.post("/panel/ais/{id}/test")
async def test_ai(id: str, ctx: CtxDep, form: FormDep) -> Response:
    """Ask the AI one question; nothing is stored, no dialog is created."""
    ai = await load(ctx, ais, id)
    question = str(form.get("question", "")).strip()[:MAX_TEST_CHARS]
    # End the read transaction first: the provider may take seconds (and, on SQLite, save
    # knowledge vectors through its own transaction).
    await ctx.db.commit()
    answer: dict[str, Any] = {"question": question, "text": "", "flags": [], "error": ""}
    if question:
        try:
            result = await get_provider(ai).answer(ai, [Turn("user", question)], _context(ctx))
        except ProviderError as exc:
            answer["error"] = f"The AI could not answer: {exc}"
        else:
            answer.update(text=result.text, flags=[f.flag for f in result.flags])
    if ctx.request.headers.get("hx-request"):
        return ctx.render("_ai_answer.html", answer=answer)
    return await edit_page(ctx, ais, ai, answer=answer)


def _context(ctx: Ctx) -> AnswerContext:
    try:
        from botdesk.ai.vectors import database_vector_store
    except ImportError:  # pragma: no cover - the AI module without its vector cache
        return AnswerContext()
    load_vectors, save_vectors = database_vector_store(ctx.request.app.state.db)
    return AnswerContext(load_vectors=load_vectors, save_vectors=save_vectors)
