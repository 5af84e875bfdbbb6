"""Reading an uploaded roster CSV as a stream: UTF-8 with or without a BOM, CRLF or LF,
quoted fields (with commas, quotes and line breaks inside), never the whole file in
memory. Each record comes with the number of the line it starts on."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import AsyncIterable, AsyncIterator
from dataclasses import dataclass

COLUMNS = ("email", "full_name", "role", "cohort", "external_id")
MAX_FIELD = 1000


class BadFile(ValueError):
    """The file is not a CSV this import reads (the reason says why)."""


@dataclass(frozen=True)
class Record:
    line: int
    values: dict[str, str]


async def _records(chunks: AsyncIterable[bytes]) -> AsyncIterator[tuple[int, str]]:
    """Each CSV record's text and first line number: lines are joined while a quoted
    field is open (an odd number of quotes so far)."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")()
    pending = ""
    record = ""
    line = 0
    start = 1
    try:
        async for chunk in chunks:
            pending += decoder.decode(chunk)
            *complete, pending = pending.split("\n")
            for text in complete:
                line += 1
                if not record:
                    start = line
                record += text + "\n"
                if record.count('"') % 2 == 0:
                    yield start, record
                    record = ""
        pending += decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        raise BadFile(f"The file is not UTF-8 (near line {line + 1}).") from exc
    if pending:
        line += 1
        if not record:
            start = line
        record += pending
    if record.strip():
        if record.count('"') % 2:
            raise BadFile(f"A quoted field opened on line {start} is never closed.")
        yield start, record


def _parse(text: str, line: int) -> list[str]:
    try:
        return next(csv.reader(io.StringIO(text)), [])
    except csv.Error as exc:
        raise BadFile(f"Line {line} is not valid CSV: {exc}.") from exc


async def read_records(chunks: AsyncIterable[bytes]) -> AsyncIterator[Record]:
    """The data records (after the header) as column → value; blank lines skipped. The
    header must name ``email`` (other known columns are optional, unknown ones ignored)."""
    header: list[str] | None = None
    async for line, text in _records(chunks):
        values = _parse(text, line)
        if header is None:
            header = [name.strip().lower() for name in values]
            if "email" not in header:
                raise BadFile("The header (line 1) must name an email column.")
            continue
        if not any(value.strip() for value in values):
            continue
        row = {
            name: values[index].strip()[:MAX_FIELD] if index < len(values) else ""
            for index, name in enumerate(header)
            if name in COLUMNS
        }
        yield Record(line=line, values=row)
    if header is None:
        raise BadFile("The file is empty.")
