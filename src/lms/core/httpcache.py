"""Whole responses that are the same for every anonymous caller, served from the store.

An endpoint calls ``cache_publicly(request, namespace)`` when its answer depends only on
the URL and on data whose every change invalidates ``namespace`` (the published
catalogue, a published course and its lesson outline). ``PublicResponseCache`` keeps
such a 200 answer, bytes as sent, and serves the next anonymous GET of the same URL from
the store in one round trip, without routing, dependencies, the database or
serialisation. A request with an ``Authorization`` header always reaches the endpoint
(its token must be checked), and so does any URL outside the configured prefixes.

Invalidation is the namespace's version (``Cache.invalidate``): the version is read
before the endpoint runs and the answer stored under it, so an answer computed while a
change commits is stored under the old version and never served after the bump.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

import redis.asyncio as aioredis
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lms.core.cache import Store, version_key
from lms.core.conditional import none_match
from lms.core.metrics import CACHE as CACHE_LOOKUPS
from lms.core.metrics import ROUTE_TEMPLATE_KEY

log = logging.getLogger("lms.httpcache")

SCOPE_KEY = "lms.public_cache"
# The headers of an answer kept with it (its entity tag, a list's links): any other
# header makes the answer one that is not kept.
_KEPT_HEADERS = (b"etag", b"link")
# Bounds what a caller can make the store keep: query strings beyond this are not cached.
MAX_QUERY_LENGTH = 200


def cache_publicly(request: Request, namespace: str, *, params: Iterable[str] = ()) -> None:
    """Let ``PublicResponseCache`` keep this answer for later anonymous GETs of the same
    URL, until ``namespace`` is invalidated or the TTL passes. Only anonymous GETs whose
    query parameters are all in ``params``, each given once, are kept (junk parameters
    would otherwise multiply the entries)."""
    if request.method != "GET" or "authorization" in request.headers:
        return
    allowed = set(params)
    keys = [key for key, _value in request.query_params.multi_items()]
    if len(keys) != len(set(keys)) or not set(keys) <= allowed:
        return
    request.scope[SCOPE_KEY] = namespace


class PublicResponseCache:
    """ASGI middleware; ``prefixes`` maps URL path prefixes to the cache namespace of the
    endpoints under them."""

    def __init__(
        self, app: ASGIApp, *, store: Store, prefixes: dict[str, str], ttl_seconds: int
    ) -> None:
        self.app = app
        self.store = store
        self.prefixes = tuple(prefixes.items())
        self.ttl_seconds = ttl_seconds

    def _namespace(self, scope: Scope) -> str | None:
        if scope["type"] != "http" or scope["method"] != "GET":
            return None
        if len(scope["query_string"]) > MAX_QUERY_LENGTH:
            return None
        path: str = scope["path"]
        for prefix, namespace in self.prefixes:
            if path.startswith(prefix):
                for name, _value in scope["headers"]:
                    if name == b"authorization":
                        return None
                return namespace
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        namespace = self._namespace(scope)
        if namespace is None:
            await self.app(scope, receive, send)
            return
        suffix = f":http:{scope['path']}?{scope['query_string'].decode('latin-1')}"
        try:
            version, hit = await self.store.get_versioned(
                version_key(namespace), f"cache:{namespace}:", suffix
            )
        except (aioredis.RedisError, OSError):
            await self.app(scope, receive, send)  # a store outage is a cache miss
            return
        parts = hit.split("\n", 4) if hit is not None else []
        if len(parts) == 5:  # (an entry kept by an older version is a miss)
            CACHE_LOOKUPS.labels("http", "hit").inc()
            template, stored_type, etag, link, text = parts
            scope[ROUTE_TEMPLATE_KEY] = template  # for the metrics: the route it came from
            headers = [(b"etag", etag.encode("latin-1"))]
            if link:
                headers.append((b"link", link.encode("latin-1")))
            if _not_modified(scope, etag):
                await send({"type": "http.response.start", "status": 304, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return
            body = text.encode()
            headers += [
                (b"content-length", str(len(body)).encode()),
                (b"content-type", stored_type.encode("latin-1")),
            ]
            await send({"type": "http.response.start", "status": 200, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return

        CACHE_LOOKUPS.labels("http", "miss").inc()
        status = 0
        content_type: bytes | None = None
        kept: dict[bytes, bytes] = {}
        plain = True
        chunks: list[bytes] = []

        async def keeping_send(message: Message) -> None:
            nonlocal status, content_type, plain
            if message["type"] == "http.response.start":
                status = message["status"]
                for name, value in message.get("headers", []):
                    if name == b"content-type":
                        content_type = value
                    elif name in _KEPT_HEADERS:
                        kept[name] = value
                    elif name != b"content-length":
                        plain = False  # other headers: not reproduced, so not kept
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, keeping_send)
        if (
            scope.get(SCOPE_KEY) != namespace
            or status != 200
            or not plain
            or not content_type
            or b"etag" not in kept
        ):
            return
        try:
            await self.store.set(
                f"cache:{namespace}:{version}{suffix}",
                "\n".join(
                    (
                        getattr(scope.get("route"), "path", ""),
                        content_type.decode("latin-1"),
                        kept[b"etag"].decode("latin-1"),
                        kept.get(b"link", b"").decode("latin-1"),
                        b"".join(chunks).decode(),
                    )
                ),
                self.ttl_seconds,
            )
        except (aioredis.RedisError, OSError, UnicodeDecodeError):
            log.warning("public response not cached", exc_info=True)


def _not_modified(scope: Scope, etag: str) -> bool:
    for name, value in scope["headers"]:
        if name == b"if-none-match":
            return none_match(value.decode("latin-1"), etag)
    return False
