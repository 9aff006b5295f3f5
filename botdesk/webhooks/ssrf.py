"""SSRF guard: webhooks reach only globally routable addresses, checked at connect time.

The check lives in the resolver aiohttp connects through, so the address that was vetted is
the address that is dialled (DNS rebinding cannot slip a private address in between). IP
literals never reach a resolver in aiohttp, so `vet_url` checks them before each send.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
# (host, port) -> the IP addresses it resolves to; injectable so tests can fake DNS.
Resolve = Callable[[str, int], Awaitable[list[str]]]

# Cloud metadata endpoints: never a webhook target, whatever the allow-list says.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
# Ranges that may hide an IPv4 target inside IPv6 (6to4, NAT64, Teredo): refused unless listed.
EMBEDDING_NETWORKS = tuple(
    ipaddress.ip_network(n) for n in ("2002::/16", "64:ff9b::/96", "64:ff9b:1::/48", "2001::/32")
)


class BlockedAddress(OSError):
    """The webhook target is not an address botdesk may connect to."""


def parse_allow_list(cidrs: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(c, strict=False) for c in cidrs]


def refusal(ip: IPAddress, allow: list[Network]) -> str | None:
    """Why `ip` may not be dialled, or None when it may."""
    if ip in METADATA_ADDRESSES:
        return f"{ip} is a cloud metadata address"
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"{ip} is an IPv4-mapped IPv6 address"
    if ip.is_unspecified:
        return f"{ip} is the unspecified address"
    if ip.is_multicast:
        return f"{ip} is a multicast address"
    if any(ip in net for net in allow if net.version == ip.version):
        return None
    for test, label in (
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_private, "private"),
        (ip.is_reserved, "reserved"),
    ):
        if test:
            return f"{ip} is a {label} address"
    if any(ip in net for net in EMBEDDING_NETWORKS if net.version == ip.version):
        return f"{ip} embeds an IPv4 address"
    if not ip.is_global:  # CGNAT 100.64.0.0/10 and other special-purpose ranges
        return f"{ip} is not a globally routable address"
    return None


def odd_ipv4_form(host: str) -> bool:
    """True for IPv4 spellings other than dotted decimal (2130706433, 0x7f.1, 0177.0.0.1)."""
    try:
        socket.inet_aton(host)
    except OSError:
        return False
    try:
        return str(ipaddress.IPv4Address(host)) != host
    except ValueError:
        return True


def literal_problem(host: str, allow: list[Network]) -> str | None:
    """Why a URL host that is an IP literal is refused; None for allowed literals and names."""
    host = host.strip("[]").rstrip(".").lower()
    if not host:
        return "the URL has no host"
    if odd_ipv4_form(host):
        return f"{host!r} is a non-standard IP address form"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        if host == "localhost" or host.endswith(".localhost"):
            why = refusal(ipaddress.ip_address("127.0.0.1"), allow)
            return f"{host!r} is a loopback name" if why else None
        return None
    return refusal(ip, allow)


def check_url_literal(url: str, allow_cidrs: Iterable[str] = ()) -> str | None:
    """For integration creation: an error message when the URL itself is unusable, else None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        return f"invalid webhook_url: {exc}"
    if parts.scheme not in ("http", "https"):
        return "webhook_url must start with http:// or https://"
    problem = literal_problem(host, parse_allow_list(allow_cidrs))
    return f"webhook_url refused: {problem}" if problem else None


async def system_resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


class GuardedResolver(AbstractResolver):
    """An aiohttp resolver that returns only addresses the guard allows."""

    def __init__(self, allow: list[Network], resolve: Resolve | None = None) -> None:
        self.allow = allow
        self._resolve = resolve or system_resolve

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        problem = literal_problem(host, self.allow)
        if problem:
            raise BlockedAddress(problem)
        try:
            addresses = await self._resolve(host, port)
        except socket.gaierror as exc:
            raise OSError(f"cannot resolve {host}: {exc}") from exc
        results: list[ResolveResult] = []
        problems = []
        for text in addresses:
            ip = ipaddress.ip_address(text.split("%")[0])
            why = refusal(ip, self.allow)
            if why:
                problems.append(why)
                continue
            fam = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
            results.append(_result(host, str(ip), port, fam))
        if not results:
            refused = "; ".join(problems)
            raise BlockedAddress(f"{host} resolves only to refused addresses: {refused}")
        return results

    async def close(self) -> None:
        return None


def _result(host: str, ip: str, port: int, family: socket.AddressFamily) -> Any:
    return ResolveResult(
        hostname=host,
        host=ip,
        port=port,
        family=family,
        proto=0,
        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    )
