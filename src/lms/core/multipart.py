"""A streaming ``multipart/form-data`` reader over a request body.

Starlette's form parser spools every file to a temporary file before the handler runs;
this reader hands each part to the caller as it arrives instead, so an upload can be
checked, size-limited and passed on to storage chunk by chunk::

    reader = MultipartReader(request.stream(), request.headers.get("content-type"),
                             max_body_bytes=...)
    async for part in reader.parts():
        if part.filename is None:
            value = await part.text(max_bytes=1024)
        else:
            async for chunk in part.chunks():
                ...

A part must be read (or left) before the next one is asked for; unread data is skipped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator
from typing import Any

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from lms.core.errors import BadRequest, PayloadTooLarge, UnsupportedMediaType


class MalformedMultipart(BadRequest):
    code = "malformed_multipart"
    detail = "The multipart body is malformed or incomplete."


class MultipartReader:
    def __init__(
        self,
        body: AsyncIterator[bytes],
        content_type: str | None,
        *,
        max_body_bytes: int,
        max_parts: int = 20,
    ) -> None:
        media_type, params = parse_options_header(content_type or "")
        if media_type != b"multipart/form-data":
            raise UnsupportedMediaType(
                "Send the upload as multipart/form-data.", code="multipart_required"
            )
        boundary = params.get(b"boundary")
        if not boundary:
            raise MalformedMultipart("The multipart boundary is missing.")
        self._body = body
        self._max_body_bytes = max_body_bytes
        self._max_parts = max_parts
        self._received = 0
        self._body_done = False
        self._events: deque[tuple[str, Any]] = deque()
        self._header_field = bytearray()
        self._header_value = bytearray()
        self._headers: dict[str, bytes] = {}
        try:
            self._parser = MultipartParser(
                boundary,
                callbacks={
                    "on_part_begin": self._on_part_begin,
                    "on_header_field": self._on_header_field,
                    "on_header_value": self._on_header_value,
                    "on_header_end": self._on_header_end,
                    "on_headers_finished": self._on_headers_finished,
                    "on_part_data": self._on_part_data,
                    "on_part_end": self._on_part_end,
                    "on_end": self._on_end,
                },
            )
        except FormParserError as exc:
            raise MalformedMultipart("The multipart boundary is invalid.") from exc

    # Parser callbacks: they only queue events; the async side consumes them.
    def _on_part_begin(self) -> None:
        self._headers = {}

    def _on_header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_field += data[start:end]

    def _on_header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _on_header_end(self) -> None:
        self._headers[self._header_field.decode("latin-1").lower()] = bytes(self._header_value)
        self._header_field.clear()
        self._header_value.clear()

    def _on_headers_finished(self) -> None:
        self._events.append(("headers", self._headers))

    def _on_part_data(self, data: bytes, start: int, end: int) -> None:
        if end > start:
            self._events.append(("data", data[start:end]))

    def _on_part_end(self) -> None:
        self._events.append(("end", None))

    def _on_end(self) -> None:
        self._events.append(("done", None))

    async def _next_event(self) -> tuple[str, Any]:
        while not self._events:
            if self._body_done:
                raise MalformedMultipart()
            try:
                chunk = await anext(self._body)
            except StopAsyncIteration:
                self._body_done = True
                continue
            self._received += len(chunk)
            if self._received > self._max_body_bytes:
                raise PayloadTooLarge(f"The request body exceeds {self._max_body_bytes} bytes.")
            try:
                self._parser.write(chunk)
            except FormParserError as exc:
                raise MalformedMultipart() from exc
        return self._events.popleft()

    async def parts(self) -> AsyncIterator[Part]:
        count = 0
        while True:
            kind, value = await self._next_event()
            if kind == "done":
                return
            if kind != "headers":
                continue
            count += 1
            if count > self._max_parts:
                raise MalformedMultipart(f"At most {self._max_parts} form fields are accepted.")
            part = Part(self, value)
            yield part
            await part.skip()


class Part:
    """One form field or file of a multipart body."""

    def __init__(self, reader: MultipartReader, headers: dict[str, bytes]) -> None:
        self._reader = reader
        self._finished = False
        _, options = parse_options_header(headers.get("content-disposition", b""))
        name = options.get(b"name")
        if name is None:
            raise MalformedMultipart("A form part has no name.")
        self.name = name.decode("utf-8", errors="replace")
        raw_filename = options.get(b"filename")
        # Clients send UTF-8 file names; the header parser hands them over as latin-1.
        self.filename = (
            raw_filename.decode("utf-8", errors="replace") if raw_filename is not None else None
        )
        self.content_type = headers.get("content-type", b"").decode("latin-1").strip()

    async def chunks(self) -> AsyncIterator[bytes]:
        while not self._finished:
            kind, value = await self._reader._next_event()
            if kind == "data":
                yield value
            elif kind == "end":
                self._finished = True
            elif kind == "done":
                self._finished = True
                self._reader._events.appendleft((kind, value))

    async def text(self, *, max_bytes: int) -> str:
        data = bytearray()
        async for chunk in self.chunks():
            data += chunk
            if len(data) > max_bytes:
                raise MalformedMultipart(f"The form field {self.name!r} is too long.")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedMultipart(f"The form field {self.name!r} is not UTF-8.") from exc

    async def skip(self) -> None:
        async for _ in self.chunks():
            pass
