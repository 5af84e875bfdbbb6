"""Conditional requests (RFC 9110 §13): strong entity tags, ``If-None-Match`` → 304 on
reads, ``If-Match`` → 412 on writes.

The entity tag of a JSON answer is a hash of its bytes, so it is the same in every
process and changes with anything the answer shows (a lesson count, the caller's access
to a lesson's material). ``TransactionalRoute`` sends it with every 200 answer to a
GET or PATCH and every 201, and answers a GET whose ``If-None-Match`` names it
with 304. A write route guards a resource with ``require_current``: it gives the
representation the caller would read now (the read model the GET of the resource
returns), hashed exactly as the answer would be, and a stale ``If-Match`` is refused.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from hashlib import sha256

from fastapi import Request
from pydantic import BaseModel

from lms.core.errors import AppError


class PreconditionFailed(AppError):
    status = 412
    code = "precondition_failed"
    detail = (
        "The resource changed since you read it (If-Match names an older version): "
        "read it again and reapply your change."
    )


def etag_of(body: bytes) -> str:
    """The strong entity tag of an answer's bytes: 128 bits of its SHA-256 (hardware
    accelerated on current x86 and ARM: a few microseconds for a page of JSON)."""
    return '"' + sha256(body).hexdigest()[:32] + '"'


def representation_etag(model: BaseModel) -> str:
    """The entity tag the answer carrying ``model`` (as a route's response model) has:
    FastAPI serialises a response model with pydantic's own JSON serialiser, by alias."""
    return etag_of(model.__pydantic_serializer__.to_json(model, by_alias=True))


def _tags(header: str) -> list[str]:
    """The entity tags of an ``If-Match``/``If-None-Match`` list (weak ones keep their
    ``W/`` prefix)."""
    return [part.strip() for part in header.split(",") if part.strip()]


def none_match(header: str, etag: str) -> bool:
    """Whether ``If-None-Match: header`` names ``etag`` (weak comparison, RFC 9110
    §13.1.2): a GET answered with 304."""
    return any(tag == "*" or tag.removeprefix("W/") == etag for tag in _tags(header))


async def require_current(request: Request, current: Callable[[], Awaitable[BaseModel]]) -> None:
    """Refuse the write with 412 ``precondition_failed`` when the request's ``If-Match``
    does not name the current representation (strong comparison). ``current`` reads it
    (the same read model the resource's GET returns to this caller); it is only called
    when the header is present, so a write without it costs nothing more. A missing
    resource is the read's own 404."""
    header = request.headers.get("if-match")
    if header is None:
        return
    tags = _tags(header)
    model = await current()
    if "*" in tags:
        return
    if representation_etag(model) not in tags:
        raise PreconditionFailed()
