"""Text that every database can store: no NUL characters and no lone UTF-16 surrogates.

PostgreSQL refuses both inside text, so they are refused at the door with a 400 naming the field
instead of failing later as a server error.
"""

from __future__ import annotations

import re
from typing import Any

_BAD = re.compile("[\x00\ud800-\udfff]")


def find_bad_text(value: Any, path: str = "") -> str | None:
    """The dotted path of the first string holding a NUL or a lone surrogate, else None."""
    if isinstance(value, str):
        return (path or "body") if _BAD.search(value) else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            if isinstance(key, str) and _BAD.search(key):
                return where
            found = find_bad_text(item, where)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = find_bad_text(item, f"{path}.{index}" if path else str(index))
            if found:
                return found
    return None


def refuse_bad_text(data: Any) -> Any:
    """A `model_validator(mode="before")` body: raises ValueError naming the field."""
    where = find_bad_text(data)
    if where:
        raise ValueError(f"{where}: NUL characters and lone surrogates are not allowed")
    return data
