"""Request and response bodies of the management API (`/v1`).

Inputs are strict: a number where a string is expected is refused with a message naming the
field, never coerced. Unknown fields are refused so typos do not pass silently.
"""

from __future__ import annotations

from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from botdesk.api.text import refuse_bad_text

ChannelType = Literal["page_messenger", "api", "widget", "telegram_bot"]
Provider = Literal["embedded", "openai"]
WebhookType = Literal[
    "all_messages", "success", "get_contact", "interest", "close", "operator", "is_bot"
]
TaskStatus = Literal["running", "paused", "stopped", "completed"]
Name = Field(min_length=1, max_length=200)
T = TypeVar("T")


class StrictIn(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    _clean_text = model_validator(mode="before")(refuse_bad_text)


class Page(BaseModel, Generic[T]):
    items: list[T]
    page: int
    page_size: int
    total: int


# --- channels ---
class ChannelCreate(StrictIn):
    name: str = Name
    type: ChannelType
    settings: dict[str, Any] = Field(default_factory=dict)


class ChannelUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    settings: dict[str, Any] | None = None


class ChannelPublic(BaseModel):
    id: str
    name: str
    type: str
    settings: dict[str, Any]
    created: int


# --- managers ---
class ManagerCreate(StrictIn):
    name: str = Name


class ManagerUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)


class ManagerPublic(BaseModel):
    id: str
    name: str
    created: int


# --- AIs ---
class KnowledgeItem(StrictIn):
    question: str = Field(max_length=5000)
    answer: str = Field(max_length=20000)


class Reminder(StrictIn):
    """A follow-up sent after the last bot message; give exactly one delay."""

    delay_seconds: float | None = Field(default=None, gt=0, le=3600 * 24 * 365)
    delay_minutes: float | None = Field(default=None, gt=0, le=60 * 24 * 365)
    delay_hours: float | None = Field(default=None, gt=0, le=24 * 365)
    type: Literal["fixed", "ai"] = "fixed"
    text: str = Field(default="", max_length=5000)
    cancel_flags: list[
        Literal["success", "get_contact", "interest", "close", "is_bot", "operator", "user_replied"]
    ] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_delay(self) -> Reminder:
        given = [d for d in (self.delay_seconds, self.delay_minutes, self.delay_hours) if d]
        if len(given) != 1:
            raise ValueError(
                "reminders: give exactly one of delay_seconds, delay_minutes, delay_hours"
            )
        return self


class AICreate(StrictIn):
    name: str = Name
    provider: Provider = "embedded"
    prompt: str = Field(default="", max_length=50000)
    knowledge: list[KnowledgeItem] = Field(default_factory=list, max_length=5000)
    knowledge_text: str = Field(default="", max_length=500000)
    functions: (
        list[
            Literal[
                "success", "get_contact", "interest", "close", "operator", "scheduler", "custom_api"
            ]
        ]
        | None
    ) = None
    temperature: float = Field(default=0.7, ge=0, le=2)
    top_p: float = Field(default=1.0, ge=0, le=1)
    model: str = Field(default="", max_length=200)
    base_url: str = Field(default="", max_length=2000)
    api_key: str = Field(default="", max_length=500)
    reminders: list[Reminder] = Field(default_factory=list, max_length=20)
    settings: dict[str, Any] = Field(default_factory=dict)


class AIUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    provider: Provider | None = None
    prompt: str | None = Field(default=None, max_length=50000)
    knowledge: list[KnowledgeItem] | None = Field(default=None, max_length=5000)
    knowledge_text: str | None = Field(default=None, max_length=500000)
    functions: (
        list[
            Literal[
                "success", "get_contact", "interest", "close", "operator", "scheduler", "custom_api"
            ]
        ]
        | None
    ) = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, ge=0, le=1)
    model: str | None = Field(default=None, max_length=200)
    base_url: str | None = Field(default=None, max_length=2000)
    api_key: str | None = Field(default=None, max_length=500)
    reminders: list[Reminder] | None = Field(default=None, max_length=20)
    settings: dict[str, Any] | None = None


class AIPublic(BaseModel):
    id: str
    name: str
    provider: str
    prompt: str
    knowledge: list[dict[str, Any]]
    knowledge_text: str
    functions: list[str]
    temperature: float
    top_p: float
    model: str
    base_url: str
    has_api_key: bool
    reminders: list[dict[str, Any]]
    settings: dict[str, Any]
    created: int


# --- integrations ---
class IntegrationCreate(StrictIn):
    name: str = Name
    webhook_url: str = Field(min_length=1, max_length=2000)
    type: Literal["another"] = "another"
    webhook_type: WebhookType = "all_messages"


class IntegrationUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    webhook_url: str | None = Field(default=None, min_length=1, max_length=2000)
    webhook_type: WebhookType | None = None
    enabled: bool | None = None


class IntegrationPublic(BaseModel):
    id: str
    name: str
    type: str
    webhook_url: str
    webhook_type: str
    enabled: bool
    disabled_reason: str
    created: int


class IntegrationWithSecret(IntegrationPublic):
    secret: str


# --- lists ---
class ListCreate(StrictIn):
    name: str = Name
    kind: Literal["white", "black"]
    entries: list[str] = Field(default_factory=list, max_length=100000)
    all_tasks: bool = False


class ListUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    entries: list[str] | None = Field(default=None, max_length=100000)
    all_tasks: bool | None = None


class ListPublic(BaseModel):
    id: str
    name: str
    kind: str
    entries: list[str]
    all_tasks: bool
    created: int


# --- tasks ---
class TaskCreate(StrictIn):
    name: str = Name
    channel_id: str = Field(min_length=1, max_length=40)
    ai_id: str = Field(min_length=1, max_length=40)
    integration_ids: list[str] = Field(default_factory=list, max_length=100)
    list_ids: list[str] = Field(default_factory=list, max_length=100)
    type: Literal["web", "api", "outbound"] = "web"
    mode: Literal["inbound", "outbound"] = "inbound"
    manager_id: str | None = Field(default=None, max_length=40)
    spending_limit: float | None = Field(default=None, ge=0)
    status: TaskStatus = "running"
    greeting: str = Field(default="", max_length=5000)


class TaskUpdate(StrictIn):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    channel_id: str | None = Field(default=None, min_length=1, max_length=40)
    ai_id: str | None = Field(default=None, min_length=1, max_length=40)
    integration_ids: list[str] | None = Field(default=None, max_length=100)
    list_ids: list[str] | None = Field(default=None, max_length=100)
    mode: Literal["inbound", "outbound"] | None = None
    manager_id: str | None = Field(default=None, max_length=40)
    spending_limit: float | None = Field(default=None, ge=0)
    status: TaskStatus | None = None
    greeting: str | None = Field(default=None, max_length=5000)


class TaskPublic(BaseModel):
    id: str
    name: str
    type: str
    mode: str
    channel_id: str
    ai_id: str
    integration_ids: list[str]
    list_ids: list[str]
    manager_id: str | None
    spending_limit: float | None
    status: str
    greeting: str
    created: int


# --- threads ---
class FlagsPublic(BaseModel):
    success: bool
    get_contact: bool
    interest: bool
    close: bool
    is_bot: bool
    operator: bool
    user_replied: bool


class ThreadPublic(BaseModel):
    id: str
    task_id: str
    chat_id: str
    title: str
    contact: str
    flags: FlagsPublic
    count_message: int
    last_message: int | None
    last_message_text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    created: int
    modified: int


class MessagePublic(BaseModel):
    id: str
    type: str
    text: str
    created: int


class ThreadWithMessages(ThreadPublic):
    messages: list[MessagePublic]


class OperatorMessageIn(StrictIn):
    text: str = Field(min_length=1, max_length=64 * 1024)


class FlagsIn(StrictIn):
    success: bool | None = None
    get_contact: bool | None = None
    interest: bool | None = None
    close: bool | None = None
    is_bot: bool | None = None
    operator: bool | None = None
    user_replied: bool | None = None
    contact: str | None = Field(default=None, max_length=500)
