"""``lms import roster|users FILE``: the same rows as the HTTP import, read from a local
file and committed in chunks by the command itself (no job, no worker)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core.config import Settings
from lms.core.session import commit
from lms.modules import courses
from lms.modules.imports.csvfile import read_records
from lms.modules.imports.service.rows import ImportContext, Refused, apply_row


@dataclass
class ImportSummary:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


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
    summary = ImportSummary()
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

        pending = 0
        async for record in read_records(counted()):
            summary.total += 1
            try:
                outcome = await apply_row(session, context, record)
                setattr(summary, outcome, getattr(summary, outcome) + 1)
            except Refused as exc:
                summary.failed += 1
                if len(summary.errors) < 100:
                    summary.errors.append((record.line, str(exc)))
            pending += 1
            if pending >= settings.import_chunk_rows and not dry_run:
                await commit(session)
                pending = 0
        if dry_run:
            await session.rollback()
        else:
            await commit(session)
    return summary
