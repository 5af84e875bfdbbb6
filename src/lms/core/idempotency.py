"""Safe retries of unsafe requests with ``Idempotency-Key`` (the IETF httpapi draft
"The Idempotency-Key HTTP Header Field", the semantics Stripe uses).

A route opts in with one line, ``@idempotent`` below its route decorator. A request to
it that carries ``Idempotency-Key`` is then run at most once per key and caller:

- the first one takes the key in the shared store (Redis across processes) while it
  runs; its answer, if it succeeded (2xx), is kept for ``LMS_IDEMPOTENCY_TTL_HOURS``
  (24 by default) after the commit and replayed, status, body, ``Location`` and
  ``ETag`` alike, to a retry with the same key and the same request (method, path,
  query and body), marked ``Idempotent-Replayed: true``;
- the same key with a different request: 422 ``idempotency_key_reused``;
- while the first is still running: 409 ``idempotency_request_in_progress``;
- a refused request (4xx, 5xx) frees the key: the client may correct and retry.

A route that reads its body as a stream (an upload, a CSV import) says so,
``@idempotent(streamed=True)``: its body is hashed as the route reads it, never held
whole, and a multipart body's boundary (chosen afresh by the client for each try) does
not count. A retry of a kept answer is read and hashed before it is replayed; a second
request while the first runs is 409 whatever its body. A route whose answer holds a
secret shown once (a webhook endpoint's signing secret) says
``@idempotent(encrypted=True)``: its kept answer is encrypted with ``LMS_SECRET_KEY``
exactly as the secret is in the database, and one that can no longer be decrypted (the
key changed) is 409 ``idempotency_answer_unreadable``, never run a second time.

Keys are scoped to the caller (the signed-in account; the client address for an
anonymous request). A request without the header runs as before, with no extra store
round trip. The store being down while a key is given is a 503 (``store_unavailable``):
the guarantee the client asked for cannot be given.
"""

from __future__ import annotations

import base64
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from hashlib import sha256
from typing import Any, TypeVar, overload

import redis.asyncio as aioredis
from fastapi import Request, Response
from starlette.types import Message

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.errors import AppError, BadRequest, Conflict
from lms.core.security import decrypt_secret, encrypt_secret

log = logging.getLogger("lms.idempotency")

_IDEMPOTENT_ATTRIBUTE = "__lms_idempotent__"
EndpointT = TypeVar("EndpointT", bound=Callable[..., Any])
HEADER = "idempotency-key"
# How long a first request holds its key while it runs: past this it is presumed dead
# (its process stopped) and a retry runs again.
IN_PROGRESS_SECONDS = 120
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
# Headers of a kept answer that a replay repeats (the rest are per response).
_REPLAYED_HEADERS = ("content-type", "location", "etag")
# What a streamed route may leave unread of a body it answered with success (a
# multipart epilogue, say) that is still read to finish the fingerprint.
_UNREAD_TAIL_BYTES = 64 * 1024
# A multipart boundary stands for this in a fingerprint.
_BOUNDARY_TOKEN = b"\0boundary\0"

IDEMPOTENCY_OPENAPI: dict[str, Any] = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "maxLength": 255},
    "description": (
        "Makes a retry safe: the same key with the same request within 24 h replays the "
        "first answer (`Idempotent-Replayed: true`); the same key with another request is "
        "422 `idempotency_key_reused`; while the first still runs, 409 "
        "`idempotency_request_in_progress`. Keys are per caller."
    ),
}


class IdempotencyKeyReused(AppError):
    status = 422
    code = "idempotency_key_reused"
    detail = "This Idempotency-Key was already used for a different request."


class IdempotencyRequestInProgress(Conflict):
    code = "idempotency_request_in_progress"
    detail = "A request with this Idempotency-Key is still being processed; retry shortly."


class IdempotencyAnswerUnreadable(Conflict):
    code = "idempotency_answer_unreadable"
    detail = (
        "The first answer to this Idempotency-Key can no longer be read (the server's "
        "secret key changed); it was not run again. Use a new key."
    )


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    detail = "Idempotency-Key must be 1 to 255 visible ASCII characters."


@dataclass(frozen=True)
class Policy:
    """How a route honours ``Idempotency-Key``."""

    # The route reads its body as a stream: hash it as it passes, never buffer it.
    streamed: bool = False
    # The answer holds a secret shown once: keep it encrypted like the secret.
    encrypted: bool = False


@overload
def idempotent(endpoint: EndpointT, /) -> EndpointT: ...
@overload
def idempotent(
    *, streamed: bool = False, encrypted: bool = False
) -> Callable[[EndpointT], EndpointT]: ...
def idempotent(
    endpoint: EndpointT | None = None, /, *, streamed: bool = False, encrypted: bool = False
) -> EndpointT | Callable[[EndpointT], EndpointT]:
    """Mark a route that honours ``Idempotency-Key``. Put it below the route decorator:
    ``@idempotent``, or ``@idempotent(streamed=True)`` for a route that reads
    ``request.stream()``, ``@idempotent(encrypted=True)`` for an answer with a secret."""
    policy = Policy(streamed=streamed, encrypted=encrypted)

    def mark(route: EndpointT) -> EndpointT:
        setattr(route, _IDEMPOTENT_ATTRIBUTE, policy)
        return route

    return mark if endpoint is None else mark(endpoint)


def policy_of(endpoint: Callable[..., Any]) -> Policy | None:
    """The route's policy, None when it does not honour ``Idempotency-Key``."""
    found = getattr(endpoint, _IDEMPOTENT_ATTRIBUTE, None)
    return found if isinstance(found, Policy) else None


def is_idempotent(endpoint: Callable[..., Any]) -> bool:
    return policy_of(endpoint) is not None


def request_key(request: Request) -> str | None:
    """The request's ``Idempotency-Key`` (a structured-field string: quotes optional),
    or None."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    key = raw.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not _VALID_KEY.match(key):
        raise IdempotencyKeyInvalid()
    return key


async def _fingerprint(request: Request) -> str:
    digest = sha256()
    digest.update(request.method.encode())
    digest.update(b"\0" + request.url.path.encode())
    digest.update(b"\0" + request.url.query.encode())
    digest.update(b"\0" + await request.body())
    return digest.hexdigest()


class _StreamedFingerprint:
    """The fingerprint of a request whose body the route reads as a stream: the body is
    hashed as it passes through ``request`` (a copy of the original on a receive channel
    that hashes), with a multipart boundary replaced by a fixed token."""

    def __init__(self, original: Request) -> None:
        self._receive = original.receive
        self._digest = sha256()
        self._digest.update(original.method.encode())
        self._digest.update(b"\0" + original.url.path.encode())
        self._digest.update(b"\0" + original.url.query.encode())
        self._digest.update(b"\0")
        self._boundary = _boundary_of(original.headers.get("content-type", ""))
        self._pending = b""
        self.length = 0  # bytes hashed so far (the boundary counted as its token)
        self.complete = False
        self.request = Request(original.scope, receive=self._hashing_receive)

    async def _hashing_receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request" and not self.complete:
            self._feed(message.get("body", b""))
            if not message.get("more_body", False):
                self._feed(b"", last=True)
                self.complete = True
        return message

    def _feed(self, chunk: bytes, *, last: bool = False) -> None:
        data = self._pending + chunk
        boundary = self._boundary
        if boundary is None:
            self._hash(data)
            self._pending = b""
            return
        start = 0
        while (found := data.find(boundary, start)) >= 0:
            self._hash(data[start:found] + _BOUNDARY_TOKEN)
            start = found + len(boundary)
        # A boundary may straddle two chunks: keep what could begin one.
        safe = len(data) if last else max(start, len(data) - len(boundary) + 1)
        self._hash(data[start:safe])
        self._pending = data[safe:]

    def _hash(self, data: bytes) -> None:
        self._digest.update(data)
        self.length += len(data)

    async def read_rest(self, limit: int) -> bool:
        """Read (and hash) what is left of the body, up to ``limit`` bytes hashed in
        all; False when the body is longer."""
        while not self.complete:
            message = await self._hashing_receive()
            if message["type"] == "http.disconnect":
                return False
            if self.length > limit:
                return False
        return self.length <= limit

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def _boundary_of(content_type: str) -> bytes | None:
    media_type, _, parameters = content_type.partition(";")
    if media_type.strip().lower() != "multipart/form-data":
        return None
    for parameter in parameters.split(";"):
        name, _, value = parameter.strip().partition("=")
        if name.strip().lower() == "boundary" and value.strip().strip('"'):
            return b"--" + value.strip().strip('"').encode("latin-1")
    return None


async def _caller(request: Request) -> str:
    # Imported here: the route class (lms.core.routing) imports this module, and the
    # principal dependencies import the route class.
    from lms.core.deps import client_ip, get_optional_principal

    principal = await get_optional_principal(request)
    if principal is not None:
        return f"user:{principal.id}"
    return f"ip:{client_ip(request)}"


def _is_answer(kept: dict[str, Any]) -> bool:
    return "status" in kept or "sealed" in kept


def _replay(kept: dict[str, Any], settings: Settings) -> Response:
    if "sealed" in kept:
        opened = decrypt_secret(settings, kept["sealed"])
        if opened is None:
            raise IdempotencyAnswerUnreadable()
        kept = json.loads(opened)
    body = base64.b64decode(kept["body"])
    response = Response(content=body, status_code=kept["status"])
    for name, value in kept["headers"]:
        response.headers[name] = value
    response.headers["idempotent-replayed"] = "true"
    return response


async def run_once(
    request: Request,
    key: str,
    run: Callable[[Request], Awaitable[Response]],
    policy: Policy = Policy(),
) -> Response:
    """Run ``run(request)`` (the route with its transaction) once for ``key``; see the
    module's docstring."""
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    streamed = _StreamedFingerprint(request) if policy.streamed else None
    # A streamed body is known once read: its claim carries no fingerprint yet.
    fingerprint = None if streamed is not None else await _fingerprint(request)
    caller = await _caller(request)
    store_key = f"idem:{caller}:{sha256(key.encode()).hexdigest()}"
    claim = json.dumps({"fingerprint": fingerprint})
    if not await store.add(store_key, claim, IN_PROGRESS_SECONDS):
        found = await store.get(store_key)
        if found is None:  # it expired in between: take it now
            if not await store.add(store_key, claim, IN_PROGRESS_SECONDS):
                raise IdempotencyRequestInProgress()
        else:
            kept = json.loads(found)
            if not _is_answer(kept):
                if fingerprint is not None and kept["fingerprint"] != fingerprint:
                    raise IdempotencyKeyReused()
                raise IdempotencyRequestInProgress()
            if streamed is not None:
                # Longer than the first request's body: another request, read no further.
                same_length = await streamed.read_rest(limit=kept.get("length", 0))
                fingerprint = streamed.hexdigest() if same_length else None
            if kept["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused()
            return _replay(kept, settings)
    try:
        response = await run(request if streamed is None else streamed.request)
        if streamed is not None and response.status_code < 400:
            read = await streamed.read_rest(limit=streamed.length + _UNREAD_TAIL_BYTES)
            fingerprint = streamed.hexdigest() if read else None
    except BaseException:
        await _release(store, store_key)
        raise
    body = getattr(response, "body", None)
    if response.status_code >= 400 or not isinstance(body, bytes) or fingerprint is None:
        await _release(store, store_key)
        return response
    answer: dict[str, Any] = {
        "status": response.status_code,
        "headers": [
            [name, value] for name, value in response.headers.items() if name in _REPLAYED_HEADERS
        ],
        "body": base64.b64encode(body).decode(),
    }
    keeping: dict[str, Any] = {"fingerprint": fingerprint}
    if streamed is not None:
        keeping["length"] = streamed.length
    if policy.encrypted:
        keeping["sealed"] = encrypt_secret(settings, json.dumps(answer))
    else:
        keeping.update(answer)
    try:
        await store.set(store_key, json.dumps(keeping), settings.idempotency_ttl_hours * 3600)
    except (aioredis.RedisError, OSError):
        # Committed already: answer. A retry within IN_PROGRESS_SECONDS is told to wait,
        # later it runs again (the routes that move money also key the provider's call).
        log.warning("idempotent answer not kept", extra={"key": store_key}, exc_info=True)
    return response


async def _release(store: Store, store_key: str) -> None:
    try:
        await store.delete(store_key)
    except (aioredis.RedisError, OSError):
        log.warning("idempotency key not released", extra={"key": store_key}, exc_info=True)
