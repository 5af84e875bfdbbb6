"""Import jobs, their progress and refused lines."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import cast

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.modules.imports.models import ImportJob, ImportJobError


async def get_job(session: AsyncSession, job_id: uuid.UUID) -> ImportJob | None:
    return await session.get(ImportJob, job_id, populate_existing=True)


async def get_job_or_fail(session: AsyncSession, job_id: uuid.UUID) -> ImportJob:
    job = await get_job(session, job_id)
    if job is None:
        raise LookupError(f"import job {job_id} is gone")
    return job


async def mark_running(session: AsyncSession, job_id: uuid.UUID) -> None:
    await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.state == "queued")
        .values(state="running", started_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def advance(
    session: AsyncSession,
    job_id: uuid.UUID,
    *,
    done_before: int,
    rows: int,
    counts: dict[str, int],
) -> bool:
    """Count a chunk in, only if the job's progress is still ``done_before``."""
    result = await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id, ImportJob.processed == done_before)
        .values(
            processed=ImportJob.processed + rows,
            created=ImportJob.created + counts["created"],
            updated=ImportJob.updated + counts["updated"],
            unchanged=ImportJob.unchanged + counts["unchanged"],
            failed=ImportJob.failed + counts["failed"],
        )
        .returning(ImportJob.id)
        .execution_options(synchronize_session=False)
    )
    return result.first() is not None


async def finish(
    session: AsyncSession, job_id: uuid.UUID, *, state: str, total: int, error: str | None
) -> None:
    await session.execute(
        update(ImportJob)
        .where(ImportJob.id == job_id)
        .values(state=state, total=total, error=error, finished_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def add_errors(
    session: AsyncSession, job_id: uuid.UUID, errors: list[tuple[int, str | None, str]]
) -> None:
    """The refused lines of a chunk, (line, email, reason) each, in one insert."""
    if not errors:
        return
    await session.execute(
        insert(cast(Table, ImportJobError.__table__)),
        [
            {
                "id": uuid.uuid4(),
                "job_id": job_id,
                "line": line,
                "email": (email or "")[:320] or None,
                "reason": reason,
            }
            for line, email, reason in errors
        ],
    )


async def errors_of(session: AsyncSession, job_id: uuid.UUID) -> AsyncIterator[ImportJobError]:
    result = await session.stream_scalars(
        select(ImportJobError)
        .where(ImportJobError.job_id == job_id)
        .order_by(ImportJobError.line)
        .execution_options(yield_per=1000)
    )
    async for error in result:
        yield error
