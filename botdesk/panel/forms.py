"""Setup forms: field descriptions, turning submitted strings into typed values, and checking
them with the management API's own schemas (one set of rules for the API and the panel)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

Kind = Literal["text", "textarea", "select", "checkbox", "number", "lines", "multi", "password"]
Options = Sequence[tuple[str, str]]
OptionsLoader = Callable[[Any], Awaitable[Options]]


@dataclass(frozen=True)
class Field:
    name: str
    label: str
    kind: Kind = "text"
    options: Options = ()
    # Options read from the database (the company's channels, AIs, ...), given the page context.
    load_options: OptionsLoader | None = None
    help: str = ""
    required: bool = False
    create_only: bool = False
    # Shown on the edit page only, to keep the "Add" form short.
    edit_only: bool = False
    # An empty select or number means "none" (None) rather than "leave unchanged".
    optional: bool = False
    attrs: dict[str, str] = field(default_factory=dict)


class FormErrors(dict[str, str]):
    """Messages by field name; empty when the form is acceptable."""


def parse(form: FormData, fields: Sequence[Field], errors: FormErrors) -> dict[str, Any]:
    """Typed values of the submitted fields (missing checkboxes are False)."""
    data: dict[str, Any] = {}
    for f in fields:
        raw = form.get(f.name)
        if f.kind == "checkbox":
            data[f.name] = raw is not None
        elif f.kind == "multi":
            data[f.name] = [str(v) for v in form.getlist(f.name) if str(v)]
        elif f.kind == "lines":
            data[f.name] = [line.strip() for line in str(raw or "").splitlines() if line.strip()]
        elif f.kind == "number":
            text = str(raw or "").strip().replace(",", ".")
            if not text:
                if f.optional:
                    data[f.name] = None
                continue
            try:
                data[f.name] = float(text)
            except ValueError:
                errors[f.name] = "must be a number"
        elif f.kind == "select" and f.optional and not raw:
            data[f.name] = None
        elif raw is not None:
            data[f.name] = str(raw) if f.kind in ("textarea", "password") else str(raw).strip()
    return data


def validate(
    schema: type[BaseModel], data: dict[str, Any], errors: FormErrors
) -> dict[str, Any] | None:
    """`data` checked by the API schema; fields it did not set are left out (for updates)."""
    if errors:
        return None
    try:
        model = schema.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors():
            loc = [str(part) for part in error.get("loc", ())] or ["form"]
            errors.setdefault(loc[0], str(error.get("msg", "invalid")))
        return None
    return model.model_dump(exclude_unset=True)


def value_of(obj: Any, f: Field) -> Any:
    """The current value of a field for an edit form."""
    if f.kind == "multi":
        related = {"integration_ids": "integrations", "list_ids": "lists"}.get(f.name, f.name)
        return [getattr(r, "id", r) for r in getattr(obj, related, []) or []]
    value = getattr(obj, f.name, None)
    if f.kind == "lines":
        return "\n".join(str(v) for v in value or [])
    if f.kind == "password":
        return ""
    return "" if value is None else value


async def resolve(fields: Sequence[Field], ctx: Any) -> list[Field]:
    """Fields with their database options loaded."""
    out = []
    for f in fields:
        if f.load_options is not None:
            f = Field(**{**f.__dict__, "options": await f.load_options(ctx), "load_options": None})
        out.append(f)
    return out
