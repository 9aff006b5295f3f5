"""The seed-compatible public API: `/api/1.1/wf/*`, answering in the seed's envelope."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, model_validator

from botdesk.api.deps import CurrentCompany, SessionDep, SettingsDep
from botdesk.api.errors import ApiError, NotFound
from botdesk.api.text import refuse_bad_text
from botdesk.core.ids import now_ms
from botdesk.dialogs.ingest import GroupCommitter, TaskNotFound
from botdesk.dialogs.targets import add_target
from botdesk.models import Task
from botdesk.setup.service import get_owned
from botdesk.tenancy.service import find_api_key, issue_token

router = APIRouter(prefix="/api/1.1/wf", tags=["public (seed-compatible)"])


class SeedIn(BaseModel):
    # As strict as the seed's schema: a number is not a string. Extra fields are ignored.
    model_config = ConfigDict(strict=True, extra="ignore")

    _clean_text = model_validator(mode="before")(refuse_bad_text)


class AuthIn(SeedIn):
    key: str = Field(min_length=1, max_length=200)


class SendMessageIn(SeedIn):
    task_id: str = Field(min_length=1, max_length=40)
    chat_id: str = Field(min_length=1, max_length=255, description="unique chat_id in your system")
    message: str = Field(min_length=1, max_length=64 * 1024)
    title: str | None = Field(default=None, max_length=500, description="the user's name")


class AddTargetIn(SeedIn):
    task: str = Field(min_length=1, max_length=40)
    target: str = Field(min_length=1, max_length=255)


class SeedThread(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    created_by: str = Field(alias="Created By")
    created_date: int = Field(alias="Created Date")
    modified_date: int = Field(alias="Modified Date")
    id: str = Field(alias="_id")
    ai_thread_id: str
    chat_id: str
    close: bool
    company: str
    contact: str
    count_message: int
    get_contact: bool
    interest: bool
    is_bot: bool
    operator: bool
    success: bool
    task: str
    title: str
    user_replied: bool
    wh_get_contact: bool
    wh_interest: bool
    wh_success: bool


class ThreadResponse(BaseModel):
    thread: SeedThread


class SendMessageOut(BaseModel):
    status: str = "success"
    response: ThreadResponse


class AuthResponse(BaseModel):
    token: str
    expires: int


class AuthOut(BaseModel):
    status: str = "success"
    response: AuthResponse


class TargetResponse(BaseModel):
    task: str
    target: str
    created: bool


class AddTargetOut(BaseModel):
    status: str = "success"
    response: TargetResponse


def envelope(response: dict[str, Any]) -> dict[str, Any]:
    return {"status": "success", "response": response}


async def _task(session: SessionDep, company_id: str, task_id: str, field: str) -> Task:
    task = await get_owned(session, Task, company_id, task_id)
    if task is None:
        raise NotFound(field)
    return task


@router.post("/auth", response_model=AuthOut, response_model_by_alias=True)
async def auth(body: AuthIn, session: SessionDep, settings: SettingsDep) -> dict[str, Any]:
    """Exchange an API key for a bearer token that expires."""
    key = await find_api_key(session, body.key)
    if key is None:
        raise ApiError(401, "key: invalid API key")
    token = await issue_token(session, key=key, ttl_seconds=settings.token_ttl_seconds)
    await session.commit()
    return envelope({"token": token, "expires": now_ms() + settings.token_ttl_seconds * 1000})


PATH_SEND_MESSAGE = "/api/1.1/wf/send_message_external"


async def accept_message(ingest: GroupCommitter, company_id: str, body: SendMessageIn) -> Any:
    """Store the end user's message and return the seed's envelope once it is committed."""
    try:
        thread = await ingest.post_user_message(
            company_id=company_id,
            task_id=body.task_id,
            chat_id=body.chat_id,
            text=body.message,
            title=body.title,
        )
    except TaskNotFound:
        raise NotFound("task_id") from None
    return envelope({"thread": thread})


@router.post("/send_message_external", response_model=SendMessageOut, response_model_by_alias=True)
async def send_message_external(
    body: SendMessageIn, request: Request, company_id: CurrentCompany
) -> Any:
    """Store the end user's message and answer once it is committed; the AI's reply comes
    later by webhook. Concurrent requests share commits (see `dialogs.ingest`).

    Normally answered by `api.fastpath` before FastAPI's routing; this route documents it."""
    # Already in the seed's exact shape (built by presenters.seed_thread): sent as it is,
    # skipping a second validation pass on the hottest route.
    return JSONResponse(await accept_message(request.app.state.ingest, company_id, body))


@router.post("/add_target", response_model=AddTargetOut)
async def add_target_route(
    body: AddTargetIn, session: SessionDep, company_id: CurrentCompany
) -> dict[str, Any]:
    """Add an outreach target (a chat_id, @username or phone) to an outbound task."""
    task = await _task(session, company_id, body.task, "task")
    created = await add_target(session, task=task, target=body.target)
    await session.commit()
    return envelope({"task": task.id, "target": body.target, "created": created})
