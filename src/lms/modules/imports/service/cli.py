"""``lms import roster|users FILE``: the same rows as the HTTP import, read from a local
file and committed in chunks by the command itself (no job, no worker)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core.config import Settings
from lms.core.session import commit
from lms.modules import courses
from lms.modules.imports.csvfile import Record, read_records
from lms.modules.imports.service.chunks import apply_chunk
from lms.modules.imports.service.rows import ImportContext, Refused


@dataclass(frozen=True)
class ImportSummary:
    total: int
    created: int
    updated: int
    unchanged: int
    failed: int
    errors: tuple[tuple[int, str], ...]


async def _file_chunks(path: Path) -> AsyncIterator[bytes]:
    async with await anyio.open_file(path, "rb") as source:
        while chunk := await source.read(256 * 1024):
            yield chunk


async def run_file(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    path: Path,
    course_slug: str | None,
    dry_run: bool,
    progress: Callable[[int], None] = lambda _bytes: None,
) -> ImportSummary:
    """Import ``path`` (into the course ``course_slug``, or accounts only); a dry run
    rolls everything back. ``progress`` is told how many bytes were read."""
    counts = {"total": 0, "created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    errors: list[tuple[int, str]] = []
    async with sessionmaker() as session:
        course = None
        cohorts: dict[str, uuid.UUID] = {}
        if course_slug is not None:
            course = await courses.get_course_by_slug_or_raise(session, course_slug)
            cohorts = await courses.cohort_ids_by_name(session, course.id)
        context = ImportContext(settings=settings, actor_id=None, course=course, cohorts=cohorts)

        async def counted() -> AsyncIterator[bytes]:
            async for chunk in _file_chunks(path):
                progress(len(chunk))
                yield chunk

        async def run(chunk: list[Record]) -> None:
            outcomes = await apply_chunk(session, context, chunk)
            for record, outcome in zip(chunk, outcomes, strict=True):
                if isinstance(outcome, Refused):
                    counts["failed"] += 1
                    if len(errors) < 100:
                        errors.append((record.line, str(outcome)))
                else:
                    counts[outcome] += 1
            if not dry_run:
                await commit(session)

        chunk: list[Record] = []
        async for record in read_records(counted()):
            counts["total"] += 1
            chunk.append(record)
            if len(chunk) >= settings.import_chunk_rows:
                await run(chunk)
                chunk = []
        await run(chunk)
        if dry_run:
            await session.rollback()
        else:
            await commit(session)
    return ImportSummary(**counts, errors=tuple(errors))
