"""Sending one signed message to an endpoint, safely (SSRF): the host is resolved at
send time and refused when any of its addresses is not public (loopback, private,
link-local, multicast, cloud metadata, IPv4 and IPv6) unless
``LMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS``; the connection goes to the address that was
checked (no second lookup an attacker could answer differently); ``https`` only in
production; redirects are not followed; connect and read timeouts; the response body
read is bounded."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import anyio

from lms.core.config import Settings

# How much of a response is read at most, and how much of it is kept on the delivery.
RESPONSE_READ_BYTES = 16 * 1024
RESPONSE_EXCERPT_CHARS = 1000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class Refused(Exception):
    """The message was not sent: the URL or its address is not allowed."""


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None
    excerpt: str | None
    error: str | None
    duration_ms: int


def url_problem(url: str, *, production: bool) -> str | None:
    """Why ``url`` cannot be an endpoint's address (None when it can)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises on a bad port)
    except ValueError:
        return "The URL is not valid."
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "The URL must be an absolute http or https URL."
    if production and parts.scheme != "https":
        return "Endpoints must use https."
    if parts.username or parts.password:
        return "The URL must not carry credentials."
    return None


def _public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


async def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise Refused(f"cannot resolve {host}: {exc}") from exc
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if address not in found:
            found.append(address)
    return found


async def checked_address(url: str, settings: Settings) -> tuple[IPAddress, str, int]:
    """The address to connect to for ``url``, its host and port; ``Refused`` if the URL
    or any address the host resolves to is not allowed."""
    problem = url_problem(url, production=settings.environment == "production")
    if problem:
        raise Refused(problem)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await _resolve(host, port)
    if not addresses:
        raise Refused(f"{host} has no address")
    if not settings.webhook_allow_private_networks:
        refused = [str(address) for address in addresses if not _public(address)]
        if refused:
            raise Refused(
                f"{host} resolves to a non-public address ({', '.join(refused)}): refused"
            )
    return addresses[0], host, port


_sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}


def _session(settings: Settings) -> aiohttp.ClientSession:
    """One pooled HTTP session per event loop (keep-alive to each endpoint). aiohttp
    rather than httpx here: at hundreds of messages a second httpx's connection pool
    cost more CPU than everything else of a delivery (benchmarks/README.md, "Webhooks")."""
    loop = asyncio.get_running_loop()
    session = _sessions.get(loop)
    if session is None or session.closed:
        for other in [known for known in _sessions if known.is_closed()]:
            del _sessions[other]
        session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=64, use_dns_cache=False),
            trust_env=False,
            auto_decompress=False,
            skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept"),
        )
        _sessions[loop] = session
    return session


async def close_sessions() -> None:
    """Close this event loop's HTTP session (at the end of a process or test run)."""
    session = _sessions.pop(asyncio.get_running_loop(), None)
    if session is not None:
        await session.close()


async def send(url: str, headers: dict[str, str], body: bytes, settings: Settings) -> Outcome:
    """POST ``body`` to ``url`` (see the module docstring). Never raises: what went
    wrong is in the outcome."""
    started = time.perf_counter()

    def elapsed() -> int:
        return int((time.perf_counter() - started) * 1000)

    try:
        address, host, port = await checked_address(url, settings)
    except Refused as exc:
        return Outcome(False, None, None, str(exc), elapsed())
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    target = urlunsplit((parts.scheme, f"{literal}:{port}", parts.path or "/", parts.query, ""))
    default_port = 443 if parts.scheme == "https" else 80
    named = f"[{host}]" if ":" in host else host
    host_header = named if port == default_port else f"{named}:{port}"
    timeout = aiohttp.ClientTimeout(
        total=None,
        connect=settings.webhook_connect_timeout_seconds,
        sock_read=settings.webhook_timeout_seconds,
    )
    try:
        async with _session(settings).post(
            target,
            data=body,
            headers={**headers, "Host": host_header, "User-Agent": "lms-webhooks/1"},
            allow_redirects=False,
            timeout=timeout,
            # TLS checks the certificate against the URL's host, not the address.
            server_hostname=host if parts.scheme == "https" else None,
        ) as response:
            received = await response.content.read(RESPONSE_READ_BYTES)
            status = response.status
            location = response.headers.get("location", "")[:300]
    except TimeoutError as exc:
        return Outcome(False, None, None, f"timed out ({type(exc).__name__})", elapsed())
    except (aiohttp.ClientError, OSError) as exc:
        return Outcome(False, None, None, f"{type(exc).__name__}: {exc}"[:500], elapsed())
    excerpt = received[:RESPONSE_EXCERPT_CHARS].decode("utf-8", "replace")
    if 200 <= status < 300:
        return Outcome(True, status, excerpt, None, elapsed())
    error = f"redirect to {location!r} not followed" if 300 <= status < 400 else f"HTTP {status}"
    return Outcome(False, status, excerpt, error, elapsed())
