"""Importing a file: a dry run answers the plan and writes nothing; a real import stores
the file, answers a job, and a worker runs it in chunks, each committed with its
progress, so a worker stopped mid-way resumes after the last committed chunk (no
duplicate account, enrollment or invitation: they commit with the progress that counts
them)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterable, AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import NotFound, PayloadTooLarge, RuleViolation
from lms.core.session import commit
from lms.core.storage import get_storage
from lms.modules import courses
from lms.modules.imports import repository
from lms.modules.imports.csvfile import BadFile, Record, read_records
from lms.modules.imports.events import ImportFinished, ImportStarted
from lms.modules.imports.models import ImportJob
from lms.modules.imports.schemas import ImportPlan, RowError
from lms.modules.imports.service.chunks import apply_chunk
from lms.modules.imports.service.rows import ImportContext, Refused

RUN_TASK = "imports.run"
PLAN_ERRORS = 20


class ImportFileInvalid(RuleViolation):
    code = "import_file_invalid"
    detail = "The file cannot be imported."


class ImportTooLarge(PayloadTooLarge):
    code = "import_too_large"


class ImportJobNotFound(NotFound):
    code = "import_job_not_found"
    detail = "No import job with this id."


async def limited(chunks: AsyncIterable[bytes], max_bytes: int) -> AsyncIterator[bytes]:
    """The chunks, refused with 413 once more than ``max_bytes`` have come."""
    seen = 0
    async for chunk in chunks:
        seen += len(chunk)
        if seen > max_bytes:
            raise ImportTooLarge(f"The file is larger than {max_bytes // (1024 * 1024)} MB.")
        yield chunk


async def import_context(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal | None,
    actor_id: uuid.UUID | None,
    course_id: uuid.UUID | None,
) -> ImportContext:
    """What the rows need; for a roster, the caller must edit the course (404 / 403)."""
    course = None
    cohorts: dict[str, uuid.UUID] = {}
    if course_id is not None:
        if principal is not None:
            access = await courses.get_managed_course_or_raise(
                session, principal=principal, course_id=course_id
            )
            course = access.course
        else:
            course = await courses.get_course_or_raise(session, course_id)
        cohorts = await courses.cohort_ids_by_name(session, course.id)
    return ImportContext(settings=settings, actor_id=actor_id, course=course, cohorts=cohorts)


async def plan_import(
    session: AsyncSession, *, context: ImportContext, chunks: AsyncIterable[bytes]
) -> ImportPlan:
    """Run every row as a real import would (a chunk at a time), then the caller rolls
    the session back: the plan is exactly what the import would do, and nothing is
    written."""
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    errors: list[RowError] = []
    refused = total = 0

    async def plan(chunk: list[Record]) -> None:
        nonlocal refused
        for record, outcome in zip(chunk, await apply_chunk(session, context, chunk), strict=True):
            if isinstance(outcome, Refused):
                refused += 1
                if len(errors) < PLAN_ERRORS:
                    errors.append(
                        RowError(
                            line=record.line, email=record.values.get("email"), reason=str(outcome)
                        )
                    )
            else:
                counts[outcome] += 1

    chunk: list[Record] = []
    try:
        async for record in read_records(chunks):
            total += 1
            chunk.append(record)
            if len(chunk) >= context.settings.import_chunk_rows:
                await plan(chunk)
                chunk = []
        await plan(chunk)
    except BadFile as exc:
        raise ImportFileInvalid(str(exc)) from exc
    return ImportPlan(
        total=total,
        create=counts["created"],
        update=counts["updated"],
        leave=counts["unchanged"],
        refuse=refused,
        errors=errors,
    )


async def start_import(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    context: ImportContext,
    chunks: AsyncIterable[bytes],
) -> ImportJob:
    """Store the file (streamed, refused past the size limit), record the job and queue
    its run after commit."""
    job_id = uuid.uuid4()
    storage = get_storage(settings)
    key = f"imports/{job_id}.csv"
    await storage.put_stream(key, chunks, content_type="text/csv")
    job = ImportJob(
        id=job_id,
        kind="roster" if context.course else "users",
        course_id=context.course.id if context.course else None,
        created_by_id=principal.id,
        file_key=key,
        storage_provider=storage.provider,
        state="queued",
        processed=0,
        created=0,
        updated=0,
        unchanged=0,
        failed=0,
        created_at=utcnow(),
    )
    session.add(job)
    await session.flush()
    await events.publish(
        session,
        ImportStarted(
            job_id=job.id, kind=job.kind, course_id=job.course_id, created_by_id=principal.id
        ),
    )
    await jobs.enqueue(session, RUN_TASK, {"job_id": str(job_id)}, dedupe_key=f"import:{job_id}")
    return job


async def get_visible_job(
    session: AsyncSession, *, principal: Principal, job_id: uuid.UUID
) -> ImportJob:
    """The job for its creator and admins; 404 for anyone else."""
    job = await repository.get_job(session, job_id)
    if job is None or not (principal.is_admin or job.created_by_id == principal.id):
        raise ImportJobNotFound()
    return job


@jobs.job(RUN_TASK)
async def run_import(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Run (or resume) the job a chunk at a time; see the module docstring."""
    job = await repository.get_job(session, uuid.UUID(str(payload["job_id"])))
    if job is None or job.state in ("succeeded", "failed"):
        return
    await run_job(session, job, settings=get_settings())


async def run_job(
    session: AsyncSession,
    job: ImportJob,
    *,
    settings: Settings,
    stop_after_chunks: int | None = None,
) -> None:
    """The import loop (``stop_after_chunks`` stops it as a crash would, for tests)."""
    job_id = job.id
    if job.state == "queued":
        await repository.mark_running(session, job_id)
        await commit(session)
    job = await repository.get_job_or_fail(session, job_id)
    context = await import_context(
        session,
        settings=settings,
        principal=None,
        actor_id=job.created_by_id,
        course_id=job.course_id,
    )
    storage = get_storage(settings, job.storage_provider)
    skip = job.processed
    chunk: list[Record] = []
    seen = 0
    chunks_done = 0
    try:
        async for record in read_records(await storage.open_stream(job.file_key)):
            seen += 1
            if seen <= skip:
                continue
            chunk.append(record)
            if len(chunk) >= settings.import_chunk_rows:
                await _commit_chunk(session, job_id, chunk, context, done_before=seen - len(chunk))
                chunk = []
                chunks_done += 1
                if stop_after_chunks is not None and chunks_done >= stop_after_chunks:
                    raise InterruptedError("stopped as asked")
        if chunk:
            await _commit_chunk(session, job_id, chunk, context, done_before=seen - len(chunk))
    except BadFile as exc:
        await session.rollback()
        await repository.finish(session, job_id, state="failed", total=seen, error=str(exc))
        await _tell_finished(session, job_id)
        await commit(session)
        return
    await repository.finish(session, job_id, state="succeeded", total=seen, error=None)
    await _tell_finished(session, job_id)
    await commit(session)


async def _tell_finished(session: AsyncSession, job_id: uuid.UUID) -> None:
    job = await repository.get_job_or_fail(session, job_id)
    await events.publish(
        session,
        ImportFinished(
            job_id=job.id,
            kind=job.kind,
            course_id=job.course_id,
            state=job.state,
            total=job.total or 0,
            created=job.created,
            updated=job.updated,
            unchanged=job.unchanged,
            failed=job.failed,
        ),
    )


async def _commit_chunk(
    session: AsyncSession,
    job_id: uuid.UUID,
    chunk: list[Record],
    context: ImportContext,
    *,
    done_before: int,
) -> None:
    counts = {"created": 0, "updated": 0, "unchanged": 0, "failed": 0}
    refused: list[tuple[int, str | None, str]] = []
    for record, outcome in zip(chunk, await apply_chunk(session, context, chunk), strict=True):
        if isinstance(outcome, Refused):
            counts["failed"] += 1
            refused.append((record.line, record.values.get("email"), str(outcome)))
        else:
            counts[outcome] += 1
    await repository.add_errors(session, job_id, refused)
    # Only the run that is where the job says commits this chunk (a second runner of
    # the same job finds the progress moved and rolls its chunk back).
    if not await repository.advance(
        session, job_id, done_before=done_before, rows=len(chunk), counts=counts
    ):
        await session.rollback()
        raise RuntimeError("another run of this import moved on; this one stops")
    await commit(session)
