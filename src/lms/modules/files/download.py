"""Serving a file: a redirect to a short-lived URL where the backend has one (S3,
Azure), otherwise a stream from storage with HTTP range support (RFC 9110 §14), so
video players can seek."""

from __future__ import annotations

import logging
import re

from fastapi import Response
from fastapi.responses import RedirectResponse, StreamingResponse

from lms.core.config import Settings
from lms.core.errors import NotFound, problem
from lms.core.storage import ObjectNotFound, content_disposition, get_storage
from lms.modules.files import formats
from lms.modules.files.models import UploadedFile

log = logging.getLogger("lms.files")

_SINGLE_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class RangeNotSatisfiable(Exception):
    pass


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive ``(first, last)`` byte positions of a single-range request, or
    ``None`` to send the whole file (no header, or one this server ignores: malformed or
    several ranges). Raises ``RangeNotSatisfiable`` for a range outside the file."""
    if not header:
        return None
    match = _SINGLE_RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # a suffix: the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable()
        return max(0, size - suffix), size - 1
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    if first >= size:
        raise RangeNotSatisfiable()
    return first, min(int(last_text), size - 1) if last_text else size - 1


def etag_of(file: UploadedFile) -> str:
    # Stored objects never change, so the id and size identify the content.
    return f'"{file.id.hex}-{file.file_size}"'


async def file_response(
    file: UploadedFile,
    *,
    settings: Settings,
    range_header: str | None,
    if_range: str | None,
    locale: str | None = None,
) -> Response:
    storage = get_storage(settings, file.storage_provider)
    inline = formats.shows_inline(file.file_type, file.mime_type)
    url = await storage.url_for(
        file.storage_path,
        filename=file.original_filename,
        content_type=file.mime_type,
        inline=inline,
    )
    if url is not None:
        return RedirectResponse(url, status_code=307, headers={"Cache-Control": "no-store"})

    size = file.file_size
    etag = etag_of(file)
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": content_disposition(file.original_filename, inline=inline),
        "Cache-Control": "public, max-age=3600" if file.is_public else "private, no-cache",
    }
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # the client's copy is stale: send it all
    try:
        byte_range = parse_range(range_header, size)
    except RangeNotSatisfiable:
        return problem(
            416,
            f"The requested range is outside the file ({size} bytes).",
            code="range_not_satisfiable",
            title="Range Not Satisfiable",
            headers={"Content-Range": f"bytes */{size}"},
            locale=locale,
        )

    offset, length, status = 0, size, 200
    if byte_range is not None:
        first, last = byte_range
        offset, length, status = first, last - first + 1, 206
        headers["Content-Range"] = f"bytes {first}-{last}/{size}"
    headers["Content-Length"] = str(length)
    try:
        chunks = await storage.open_stream(file.storage_path, offset=offset, length=length)
    except ObjectNotFound as exc:
        log.error("stored object missing", extra={"file_id": str(file.id), "key": exc.key})
        raise NotFound(
            "The file's content is missing from storage.", code="file_content_missing"
        ) from exc
    return StreamingResponse(chunks, status_code=status, media_type=file.mime_type, headers=headers)
