"""One webhook attempt over aiohttp, returned as a typed result (`Delivered` or `Failed`).

Only 2xx counts; redirects are never followed (a 3xx is a failure, so a receiver cannot bounce
us to an internal address); the response body is cut at `RESPONSE_BODY_LIMIT`. The sender owns
one `ClientSession` whose connector dials only addresses the SSRF guard vetted.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import aiohttp
from yarl import URL

from botdesk.core.config import Settings
from botdesk.webhooks.signing import signature_headers
from botdesk.webhooks.ssrf import (
    BlockedAddress,
    GuardedResolver,
    Resolve,
    literal_problem,
    parse_allow_list,
)

# Bytes of a response body kept in the delivery log: enough to see an error page's point.
RESPONSE_BODY_LIMIT = 16 * 1024
# Least wait after a timeout or a 429, in seconds: a struggling receiver gets air.
MIN_BACKOFF_AFTER_OVERLOAD_S = 60.0
# Longest Retry-After we honour, in seconds, so a bad header cannot park a delivery forever.
RETRY_AFTER_CAP_S = 24 * 3600.0
USER_AGENT = "botdesk-webhooks/0.1"


@dataclass(frozen=True)
class Attempt:
    """What the delivery log keeps about one attempt."""

    started_ms: int
    duration_ms: int
    status_code: int | None
    excerpt: str
    error: str


@dataclass(frozen=True)
class Delivered:
    attempt: Attempt


@dataclass(frozen=True)
class Failed:
    attempt: Attempt
    # The receiver asked (Retry-After) or overload rules demand at least this wait, in seconds.
    min_delay_s: float | None = None
    # 410 Gone: the receiver wants no more webhooks; the integration gets disabled.
    gone: bool = False


Outcome = Delivered | Failed


def retry_after_seconds(value: str | None, now_s: float) -> float | None:
    """Parse Retry-After as delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return min(float(value), RETRY_AFTER_CAP_S)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
    return min(max(when - now_s, 0.0), RETRY_AFTER_CAP_S)


class Sender:
    """Sends attempts through one shared aiohttp session (created on first use)."""

    def __init__(self, settings: Settings, resolve: Resolve | None = None) -> None:
        self.allow = parse_allow_list(settings.webhook_allow_private)
        self.timeout = aiohttp.ClientTimeout(
            total=settings.webhook_total_timeout,
            connect=settings.webhook_connect_timeout,
            sock_connect=settings.webhook_connect_timeout,
        )
        self._resolve = resolve
        self._session: aiohttp.ClientSession | None = None
        self._checked: dict[str, str | None] = {}

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                resolver=GuardedResolver(self.allow, self._resolve),
                limit=0,  # the dispatcher caps concurrency per integration
                ttl_dns_cache=10,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.timeout,
                auto_decompress=False,
                headers={"User-Agent": USER_AGENT, "Content-Type": "application/json"},
            )
        return self._session

    def _literal_problem(self, url: str) -> str | None:
        """IP literals skip aiohttp's resolver, so they are vetted here (cached per URL)."""
        if url not in self._checked:
            if len(self._checked) > 10_000:
                self._checked.clear()
            self._checked[url] = literal_problem(URL(url).raw_host or "", self.allow)
        return self._checked[url]

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, *, url: str, msg_id: str, body: bytes, secrets: list[str]) -> Outcome:
        """Make one signed POST; never raises for receiver or network problems."""
        started_s = time.time()
        clock = time.monotonic()
        status: int | None = None
        excerpt = ""

        def attempt(error: str) -> Attempt:
            duration = int((time.monotonic() - clock) * 1000)
            return Attempt(int(started_s * 1000), duration, status, excerpt, error)

        problem = self._literal_problem(url)
        if problem:
            return Failed(attempt(f"refused target: {problem}"))
        headers = signature_headers(secrets, msg_id, int(started_s), body)
        try:
            async with self._client().post(
                url, data=body, headers=headers, allow_redirects=False
            ) as response:
                status = response.status
                raw = await _read_limited(response)
                excerpt = raw.decode("utf-8", "replace")
                if not response.content.at_eof():
                    response.close()  # do not drain a huge body, and do not reuse the socket
                retry_after = retry_after_seconds(response.headers.get("Retry-After"), time.time())
                location = response.headers.get("Location", "")
        except BlockedAddress as exc:
            return Failed(attempt(f"refused target: {exc}"))
        except TimeoutError:
            return Failed(attempt("timeout"), min_delay_s=MIN_BACKOFF_AFTER_OVERLOAD_S)
        except aiohttp.ClientConnectorError as exc:
            return Failed(attempt(f"connection failed: {_reason(exc)}"))
        except (aiohttp.ClientError, OSError) as exc:
            return Failed(attempt(f"{type(exc).__name__}: {exc}"))
        if 200 <= status < 300:
            return Delivered(attempt(""))
        if status == 410:
            return Failed(attempt("410 Gone: receiver asked to stop"), gone=True)
        if status == 429:
            wait = max(retry_after or 0.0, MIN_BACKOFF_AFTER_OVERLOAD_S)
            return Failed(attempt("429 Too Many Requests"), min_delay_s=wait)
        if status == 503:
            return Failed(attempt("503 Service Unavailable"), min_delay_s=retry_after)
        if 300 <= status < 400:
            return Failed(attempt(f"redirect to {location!r} not followed"))
        return Failed(attempt(f"HTTP {status}"))


async def _read_limited(response: aiohttp.ClientResponse) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size < RESPONSE_BODY_LIMIT:
        chunk = await response.content.read(RESPONSE_BODY_LIMIT - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def _reason(exc: aiohttp.ClientConnectorError) -> str:
    cause = exc.os_error
    if isinstance(cause, BlockedAddress) or isinstance(cause.__cause__, BlockedAddress):
        return f"refused target: {cause}"
    return str(cause) or str(exc)
