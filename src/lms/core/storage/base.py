"""The storage interface every backend implements, and the naming rules they share.

Objects are addressed by keys such as ``uploads/2025/03/<uuid>.pdf``: relative, made of
safe segments, never derived from a name a user chose. Every method is async and never
blocks the event loop."""

from __future__ import annotations

import os
import re
import unicodedata
import uuid
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import quote

from lms.core.db import utcnow
from lms.core.errors import ServiceUnavailable

DEFAULT_FOLDER = "uploads"
CHUNK_SIZE = 64 * 1024

_KEY_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
_FOLDER_UNSAFE = re.compile(r"[^a-z0-9_-]+")
_ASCII_UNSAFE = re.compile(r"[^A-Za-z0-9._ ()-]+")


class ObjectNotFound(LookupError):
    """No object is stored under this key."""

    def __init__(self, key: str) -> None:
        super().__init__(f"no stored object under {key!r}")
        self.key = key


class StorageUnavailable(ServiceUnavailable):
    code = "storage_unavailable"
    detail = "File storage is not available right now; retry shortly."


class StorageNotConfigured(ServiceUnavailable):
    code = "storage_not_configured"
    detail = "File storage is not configured on this server."


@dataclass(frozen=True)
class ObjectInfo:
    key: str
    size: int


class Storage(Protocol):
    """Where file contents live. ``provider`` is ``local``, ``s3`` or ``azure``."""

    provider: str

    async def put_stream(self, key: str, chunks: AsyncIterable[bytes], *, content_type: str) -> int:
        """Store the chunks under ``key`` without holding them all in memory; returns
        the size. If ``chunks`` raises, nothing is left under ``key`` and the error
        propagates unchanged."""
        ...

    async def put_bytes(self, key: str, data: bytes, *, content_type: str) -> int:
        """Store a small object held in memory (a generated PDF); returns the size."""
        ...

    async def open_stream(
        self, key: str, *, offset: int = 0, length: int | None = None
    ) -> AsyncIterator[bytes]:
        """The object's bytes from ``offset`` (``length`` of them, or to the end), in
        chunks. Raises ``ObjectNotFound`` before the first chunk if there is none."""
        ...

    async def get_bytes(self, key: str) -> bytes:
        """The whole object in memory (for small objects only)."""
        ...

    async def stat(self, key: str) -> ObjectInfo:
        """Size of the object; ``ObjectNotFound`` if there is none."""
        ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None:
        """Remove the object; a missing object is not an error."""
        ...

    async def url_for(
        self,
        key: str,
        *,
        filename: str,
        content_type: str,
        inline: bool = False,
        expires_in: int | None = None,
    ) -> str | None:
        """A short-lived URL a client can fetch the object from directly (S3 presigned,
        Azure SAS), or ``None`` when the backend has none and the API streams it."""
        ...


def validate_key(key: str) -> str:
    """Refuse anything but a relative path of safe segments (no ``..``, no absolute)."""
    segments = key.split("/")
    if not key or len(key) > 1024 or not all(_KEY_SEGMENT.match(s) for s in segments):
        raise ValueError(f"invalid storage key: {key!r}")
    if any(set(s) <= {"."} for s in segments):
        raise ValueError(f"invalid storage key: {key!r}")
    return key


def sanitize_folder(folder: str | None) -> str:
    """A folder name safe for a key: lower-case ``[a-z0-9_-]`` segments, at most three,
    dot segments dropped; ``uploads`` when nothing is left."""
    if not folder:
        return DEFAULT_FOLDER
    normalized = unicodedata.normalize("NFKD", folder).encode("ascii", "ignore").decode()
    segments = []
    for raw in normalized.replace("\\", "/").split("/"):
        segment = _FOLDER_UNSAFE.sub("-", raw.strip().lower()).strip("-_")
        if segment:
            segments.append(segment[:40])
    return "/".join(segments[:3]) or DEFAULT_FOLDER


def new_object_key(
    extension: str,
    *,
    folder: str | None = None,
    object_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> str:
    """``{folder}/{year}/{month}/{uuid}.{ext}``; the folder defaults to ``uploads``."""
    moment = now or utcnow()
    name = str(object_id or uuid.uuid4())
    ext = extension.lower().lstrip(".")
    if ext:
        if not re.fullmatch(r"[a-z0-9]{1,10}", ext):
            raise ValueError(f"invalid extension: {extension!r}")
        name = f"{name}.{ext}"
    return validate_key(f"{sanitize_folder(folder)}/{moment:%Y}/{moment:%m}/{name}")


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _ASCII_UNSAFE.sub("_", plain)


def content_disposition(filename: str, *, inline: bool = False) -> str:
    """An RFC 6266 header value: an ASCII fallback plus the UTF-8 ``filename*``."""
    stem, extension = os.path.splitext(filename)
    fallback = (_ascii(stem).strip(" ._") or "download") + _ascii(extension)
    encoded = quote(filename, safe="")
    kind = "inline" if inline else "attachment"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


async def gather_parts(chunks: AsyncIterable[bytes], part_size: int) -> AsyncIterator[bytes]:
    """Regroup ``chunks`` into parts of exactly ``part_size`` bytes (the last may be
    shorter), so that at most one part is held in memory at a time."""
    buffer = bytearray()
    async for chunk in chunks:
        buffer += chunk
        while len(buffer) >= part_size:
            part = bytes(buffer[:part_size])
            del buffer[:part_size]
            yield part
    if buffer:
        yield bytes(buffer)
