"""Setup sections made only of plain fields: Channels, Managers and Lists."""

from __future__ import annotations

from botdesk.api import schemas as s
from botdesk.models import Channel, ChatList, Manager
from botdesk.panel.forms import Field
from botdesk.panel.pages.resources import Resource, resource_router

CHANNEL_TYPES = (
    ("page_messenger", "Page messenger (your messenger via API + webhook)"),
    ("api", "API"),
    ("widget", "Web chat widget"),
    ("telegram_bot", "Telegram bot"),
)

channels = Resource(
    path="channels",
    title="Channels",
    noun="channel",
    model=Channel,
    create_schema=s.ChannelCreate,
    update_schema=s.ChannelUpdate,
    intro="Where dialogs come from. For your own messenger choose «Page messenger».",
    fields=(
        Field("name", "Name", required=True),
        Field("type", "Type", "select", CHANNEL_TYPES, create_only=True, required=True),
    ),
    columns=(
        ("Name", lambda c: c.name),
        ("Type", lambda c: dict(CHANNEL_TYPES).get(c.type, c.type)),
        ("Id", lambda c: c.id),
    ),
)

managers = Resource(
    path="managers",
    title="Managers",
    noun="manager",
    model=Manager,
    create_schema=s.ManagerCreate,
    update_schema=s.ManagerUpdate,
    intro="The named virtual employee your users talk to.",
    fields=(Field("name", "Name", required=True),),
    columns=(("Name", lambda m: m.name), ("Id", lambda m: m.id)),
)

lists = Resource(
    path="lists",
    title="Lists",
    noun="list",
    model=ChatList,
    create_schema=s.ListCreate,
    update_schema=s.ListUpdate,
    intro=(
        "A white list: the AI talks only to these. A black list: the AI never answers these. "
        "Bind a list to tasks on the task's page, or to all tasks here."
    ),
    fields=(
        Field("name", "Name", required=True),
        Field(
            "kind",
            "Kind",
            "select",
            (("white", "White list"), ("black", "Black list")),
            create_only=True,
            required=True,
        ),
        Field(
            "entries",
            "Entries",
            "lines",
            help="one per line: a chat id, @username or phone number",
            attrs={"rows": "8"},
        ),
        Field("all_tasks", "Applies to all tasks", "checkbox"),
    ),
    columns=(
        ("Name", lambda x: x.name),
        ("Kind", lambda x: "White" if x.kind == "white" else "Black"),
        ("Entries", lambda x: len(x.entries or [])),
        ("All tasks", lambda x: "yes" if x.all_tasks else "no"),
    ),
)

routers = [resource_router(channels), resource_router(managers), resource_router(lists)]
