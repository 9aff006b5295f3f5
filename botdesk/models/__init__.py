"""All tables; import from here so Alembic and the app see the same metadata."""

from botdesk.models.base import Base
from botdesk.models.dialogs import FLAGS, MESSAGE_TYPES, FlagChange, Message, Target, Thread
from botdesk.models.jobs import AnswerJob, Reminder
from botdesk.models.outbox import Delivery, DeliveryAttempt, Event
from botdesk.models.panel import Invitation, LoginAttempt, PanelSession
from botdesk.models.setup import (
    AI,
    Channel,
    ChatList,
    Integration,
    Manager,
    Task,
    task_integrations,
    task_lists,
)
from botdesk.models.tenancy import ApiKey, AuthToken, Company, Membership, User

__all__ = [
    "AI",
    "FLAGS",
    "MESSAGE_TYPES",
    "AnswerJob",
    "ApiKey",
    "AuthToken",
    "Base",
    "Channel",
    "ChatList",
    "Company",
    "Delivery",
    "DeliveryAttempt",
    "Event",
    "FlagChange",
    "Integration",
    "Invitation",
    "LoginAttempt",
    "Manager",
    "Membership",
    "Message",
    "PanelSession",
    "Reminder",
    "Target",
    "Task",
    "Thread",
    "User",
    "task_integrations",
    "task_lists",
]
