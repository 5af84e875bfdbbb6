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
from hashlib import sha256
from typing import Any, TypeVar

import redis.asyncio as aioredis
from fastapi import Request, Response

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.errors import AppError, BadRequest, Conflict

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


class IdempotencyKeyInvalid(BadRequest):
    code = "idempotency_key_invalid"
    detail = "Idempotency-Key must be 1 to 255 visible ASCII characters."


def idempotent(endpoint: EndpointT) -> EndpointT:
    """Mark a route that honours ``Idempotency-Key``. Put it below the route decorator."""
    setattr(endpoint, _IDEMPOTENT_ATTRIBUTE, True)
    return endpoint


def is_idempotent(endpoint: Callable[..., Any]) -> bool:
    return bool(getattr(endpoint, _IDEMPOTENT_ATTRIBUTE, False))


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


async def _caller(request: Request) -> str:
    # Imported here: the route class (lms.core.routing) imports this module, and the
    # principal dependencies import the route class.
    from lms.core.deps import client_ip, get_optional_principal

    principal = await get_optional_principal(request)
    if principal is not None:
        return f"user:{principal.id}"
    return f"ip:{client_ip(request)}"


def _replay(kept: dict[str, Any]) -> Response:
    body = base64.b64decode(kept["body"])
    response = Response(content=body, status_code=kept["status"])
    for name, value in kept["headers"]:
        response.headers[name] = value
    response.headers["idempotent-replayed"] = "true"
    return response


async def run_once(
    request: Request, key: str, run: Callable[[Request], Awaitable[Response]]
) -> Response:
    """Run ``run(request)`` (the route with its transaction) once for ``key``; see the
    module's docstring."""
    store: Store = request.app.state.store
    settings: Settings = request.app.state.settings
    fingerprint = await _fingerprint(request)
    caller = await _caller(request)
    store_key = f"idem:{caller}:{sha256(key.encode()).hexdigest()}"
    if not await store.add(
        store_key, json.dumps({"fingerprint": fingerprint}), IN_PROGRESS_SECONDS
    ):
        found = await store.get(store_key)
        if found is None:  # it expired in between: take it now
            if not await store.add(
                store_key, json.dumps({"fingerprint": fingerprint}), IN_PROGRESS_SECONDS
            ):
                raise IdempotencyRequestInProgress()
        else:
            kept = json.loads(found)
            if kept["fingerprint"] != fingerprint:
                raise IdempotencyKeyReused()
            if "status" not in kept:
                raise IdempotencyRequestInProgress()
            return _replay(kept)
    try:
        response = await run(request)
    except BaseException:
        await _release(store, store_key)
        raise
    body = getattr(response, "body", None)
    if response.status_code >= 400 or not isinstance(body, bytes):
        await _release(store, store_key)
        return response
    kept = {
        "fingerprint": fingerprint,
        "status": response.status_code,
        "headers": [
            [name, value] for name, value in response.headers.items() if name in _REPLAYED_HEADERS
        ],
        "body": base64.b64encode(body).decode(),
    }
    try:
        await store.set(store_key, json.dumps(kept), settings.idempotency_ttl_hours * 3600)
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
