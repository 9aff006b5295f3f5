"""The `custom_api` function: the model calls a company-defined HTTP service and gets its
reply back. Requests go through the webhooks' SSRF guard (checked at connect time, no
redirects), with a timeout and a cap on the response size the model sees."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from botdesk.core.config import get_settings
from botdesk.webhooks.ssrf import BlockedAddress, GuardedResolver, literal_problem, parse_allow_list

# Longest a custom_api request may take, in seconds.
CUSTOM_API_TIMEOUT = 10.0
# Bytes of the service's response given to the model.
RESPONSE_LIMIT = 16 * 1024
_NAME = re.compile(r"[^a-zA-Z0-9_-]")


def tool_name(definition: dict[str, Any]) -> str:
    return "api_" + _NAME.sub("_", str(definition.get("name") or "call"))[:56]


def tool_spec(definition: dict[str, Any]) -> dict[str, Any]:
    parameters = definition.get("parameters") or {"type": "object", "properties": {}}
    return {
        "type": "function",
        "function": {
            "name": tool_name(definition),
            "description": str(definition.get("description") or "Call an external service"),
            "parameters": parameters,
        },
    }


async def call_custom_api(definition: dict[str, Any], arguments: dict[str, Any]) -> str:
    """The service's answer as text for the model, or an error line (never an exception)."""
    url = str(definition.get("url") or "")
    method = str(definition.get("method") or "POST").upper()
    headers = {str(k): str(v) for k, v in (definition.get("headers") or {}).items()}
    allow = parse_allow_list(get_settings().webhook_allow_private)
    host = urlsplit(url).hostname or ""
    if not url.startswith(("http://", "https://")) or not host:
        return "error: invalid URL"
    problem = literal_problem(host, allow)
    if problem:
        return f"error: refused: {problem}"
    connector = aiohttp.TCPConnector(resolver=GuardedResolver(allow), use_dns_cache=False)
    timeout = aiohttp.ClientTimeout(total=CUSTOM_API_TIMEOUT)
    kwargs: dict[str, Any] = {"json": arguments}
    if method == "GET":
        kwargs = {"params": {k: str(v) for k, v in arguments.items()}}
    try:
        async with (
            aiohttp.ClientSession(connector=connector, timeout=timeout) as session,
            session.request(method, url, headers=headers, allow_redirects=False, **kwargs) as resp,
        ):
            body = await resp.content.read(RESPONSE_LIMIT)
            text = body.decode("utf-8", errors="replace")
            if resp.status >= 300:
                return f"error: HTTP {resp.status}: {text[:500]}"
            return text
    except BlockedAddress as exc:
        return f"error: refused: {exc}"
    except (aiohttp.ClientError, TimeoutError, OSError) as exc:
        return f"error: {type(exc).__name__}: {exc}"


def parse_arguments(raw: str | None) -> dict[str, Any] | None:
    """Tool-call arguments, or None when the model sent something that is not a JSON object."""
    try:
        value = json.loads(raw or "{}")
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None
