"""botdesk's HTTP API as Python calls, sync (`Client`) and async (`AsyncClient`).

Every call is described once in `_Api`: a method returns whatever the transport's `_call`
returns, a value for `Client` and an awaitable for `AsyncClient`, so both stay identical.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import httpx

from botdesk.client.errors import BotdeskError

Out = TypeVar("Out")
Call = Callable[..., Out]
# Seconds one HTTP call may take before httpx gives up.
DEFAULT_TIMEOUT = 10.0
FLAG_NAMES = ("success", "get_contact", "interest", "close", "is_bot", "operator", "user_replied")


class Resource(Generic[Out]):
    """create / list / get / update / delete of one set-up object under `/v1/<path>`."""

    def __init__(self, call: Call[Out], path: str) -> None:
        self._call = call
        self._path = f"/v1/{path}"

    def create(self, **fields: Any) -> Out:
        return self._call("POST", self._path, json=fields)

    def list(self, page: int = 1) -> Out:
        return self._call("GET", self._path, params={"page": page})

    def get(self, id: str) -> Out:
        return self._call("GET", f"{self._path}/{id}")

    def update(self, id: str, **changes: Any) -> Out:
        return self._call("PATCH", f"{self._path}/{id}", json=changes)

    def delete(self, id: str) -> Out:
        return self._call("DELETE", f"{self._path}/{id}")


class Threads(Generic[Out]):
    """Dialogs: list and read them, write as an operator, set or clear flags."""

    def __init__(self, call: Call[Out]) -> None:
        self._call = call

    def list(
        self,
        *,
        task_id: str | None = None,
        flag: str | None = None,
        sort: str | None = None,
        page: int = 1,
    ) -> Out:
        params = {"task_id": task_id, "flag": flag, "sort": sort, "page": page}
        return self._call(
            "GET", "/v1/threads", params={k: v for k, v in params.items() if v is not None}
        )

    def get(self, thread_id: str) -> Out:
        """The thread with its `messages` (each `id`, `type`, `text`, `created`)."""
        return self._call("GET", f"/v1/threads/{thread_id}")

    def post_message(self, thread_id: str, text: str) -> Out:
        """Write to the end user as an operator; it goes out as an `operator` webhook."""
        return self._call("POST", f"/v1/threads/{thread_id}/messages", json={"text": text})

    def set_flags(self, thread_id: str, contact: str | None = None, **flags: bool) -> Out:
        """Set (True) or clear (False) flags, e.g. `set_flags(id, operator=True)`."""
        unknown = set(flags) - set(FLAG_NAMES)
        if unknown:
            raise ValueError(f"unknown flags: {sorted(unknown)}")
        body: dict[str, Any] = dict(flags)
        if contact is not None:
            body["contact"] = contact
        return self._call("POST", f"/v1/threads/{thread_id}/flags", json=body)


class _Api(Generic[Out]):
    def __init__(self, call: Call[Out]) -> None:
        self.channels: Resource[Out] = Resource(call, "channels")
        self.ais: Resource[Out] = Resource(call, "ais")
        self.integrations: Resource[Out] = Resource(call, "integrations")
        self.tasks: Resource[Out] = Resource(call, "tasks")
        self.lists: Resource[Out] = Resource(call, "lists")
        self.managers: Resource[Out] = Resource(call, "managers")
        self.threads: Threads[Out] = Threads(call)
        self._api_call = call

    def send_message(self, task_id: str, chat_id: str, text: str, title: str | None = None) -> Out:
        """The seed's send_message_external: returns the thread; the answer comes by webhook."""
        body = {"task_id": task_id, "chat_id": str(chat_id), "message": text}
        if title is not None:
            body["title"] = title
        return self._api_call(
            "POST", "/api/1.1/wf/send_message_external", json=body, unwrap="thread"
        )

    def add_target(self, task_id: str, target: str) -> Out:
        """Add an outreach target (chat_id, @username or phone) to an outbound task."""
        return self._api_call(
            "POST", "/api/1.1/wf/add_target", json={"task": task_id, "target": target}, unwrap=""
        )


def _request_args(
    bearer: str, json: Any = None, params: dict[str, Any] | None = None
) -> dict[str, Any]:
    return {"json": json, "params": params, "headers": {"Authorization": f"Bearer {bearer}"}}


def _decode(response: httpx.Response, unwrap: str | None) -> Any:
    """The JSON answer, or a BotdeskError carrying botdesk's message naming the bad field."""
    try:
        body: Any = response.json() if response.content else None
    except ValueError:
        body = response.text
    if response.status_code >= 400:
        message = body.get("message") if isinstance(body, dict) else None
        raise BotdeskError(
            response.status_code, str(message or body or response.reason_phrase), body
        )
    if unwrap is None or not isinstance(body, dict):
        return body
    inner = body.get("response", {})
    return inner.get(unwrap) if unwrap else inner


class Client(_Api[Any]):
    """Blocking client: `Client("https://botdesk.example", "<api key>").send_message(...)`."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.Client | None = None,
    ) -> None:
        self.api_key = api_key
        self._bearer = api_key
        self._http = http or httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout)
        super().__init__(self._call)

    def _call(self, method: str, path: str, *, unwrap: str | None = None, **kw: Any) -> Any:
        response = self._http.request(method, path, **_request_args(self._bearer, **kw))
        return _decode(response, unwrap)

    def auth(self) -> str:
        """Trade the API key for an expiring bearer token, used by this client from now on."""
        answer = self._call("POST", "/api/1.1/wf/auth", json={"key": self.api_key}, unwrap="")
        self._bearer = str(answer["token"])
        return self._bearer

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class AsyncClient(_Api[Awaitable[Any]]):
    """Asyncio client with the same calls as `Client`, each to be awaited."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        http: httpx.AsyncClient | None = None,
    ) -> None:
        self.api_key = api_key
        self._bearer = api_key
        self._http = http or httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout)
        super().__init__(self._call)

    async def _call(self, method: str, path: str, *, unwrap: str | None = None, **kw: Any) -> Any:
        response = await self._http.request(method, path, **_request_args(self._bearer, **kw))
        return _decode(response, unwrap)

    async def auth(self) -> str:
        answer = await self._call("POST", "/api/1.1/wf/auth", json={"key": self.api_key}, unwrap="")
        self._bearer = str(answer["token"])
        return self._bearer

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()
