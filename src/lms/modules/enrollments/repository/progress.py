"""SQL for progress and completion. Counters change only through single UPDATE
statements (``x = x + :delta`` or a recount), never read-modify-write in Python, so
concurrent requests for one enrollment add up exactly."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Integer,
    Row,
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import UTCDateTime
from lms.modules import courses
from lms.modules.enrollments.models import Enrollment, LearningTime, LessonProgress
from lms.modules.enrollments.repository.expressions import ENROLLMENTS, gives_access, percentage


async def progress_exists(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.enrollment_id == enrollment_id, LessonProgress.lesson_id == lesson_id
        )
    )
    return found is not None


_PROGRESS = cast(Table, LessonProgress.__table__)


# The enrollment (``:enrollment``) is the student's (``:student_id``) and gives access.
_OWNED_AND_OPEN = (
    select(ENROLLMENTS.c.id)
    .where(
        ENROLLMENTS.c.id == bindparam("enrollment"),
        ENROLLMENTS.c.student_id == bindparam("student_id"),
        gives_access(),
    )
    .exists()
)


@functools.cache
def _record_progress_statement(*, with_metadata: bool) -> Any:
    """UPDATE lesson_progress for ``record_progress``, composed once per shape: a missing
    position or percentage (NULL) keeps the stored one. On the table, not the mapped
    class: the ORM's bulk-update path costs more than the statement itself."""
    row = _PROGRESS.c
    now = bindparam("now", type_=UTCDateTime())
    percentage = bindparam("percentage", type_=row.completion_percentage.type)
    values: dict[str, Any] = {
        "time_spent_seconds": row.time_spent_seconds + bindparam("seconds"),
        "status": case((row.status == "not_started", "in_progress"), else_=row.status),
        "started_at": func.coalesce(row.started_at, now),
        "updated_at": now,
        "last_position_seconds": func.coalesce(
            bindparam("position", type_=Integer), row.last_position_seconds
        ),
        "completion_percentage": case(
            (row.completion_percentage < percentage, percentage),
            else_=row.completion_percentage,
        ),
    }
    if with_metadata:
        values["progress_metadata"] = bindparam("metadata", type_=row.progress_metadata.type)
    owned = _OWNED_AND_OPEN
    return (
        update(_PROGRESS)
        .where(
            row.enrollment_id == bindparam("enrollment"),
            row.lesson_id == bindparam("lesson"),
            owned,
        )
        .values(**values)
        .returning(
            *_PROGRESS.c,
            courses.lesson_title(row.lesson_id).label("lesson_title"),
            courses.lesson_order_index(row.lesson_id).label("lesson_order_index"),
        )
    )


_NOW = bindparam("now", type_=UTCDateTime())
# On the tables, not the mapped classes (see _record_progress_statement).
_ADD_TIME = (
    update(ENROLLMENTS)
    .where(ENROLLMENTS.c.id == bindparam("enrollment"))
    .values(
        total_time_spent_seconds=ENROLLMENTS.c.total_time_spent_seconds + bindparam("seconds"),
        last_accessed_at=_NOW,
        started_at=func.coalesce(ENROLLMENTS.c.started_at, _NOW),
    )
)
_LOG_LEARNING_TIME = insert(cast(Table, LearningTime.__table__))


async def record_progress(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    seconds: int,
    position: int | None,
    percentage: Decimal | None,
    metadata: dict[str, Any] | None,
    now: datetime,
    student_id: uuid.UUID,
) -> Row[Any] | None:
    """Add time, replace the position, raise the percentage, start the lesson, in one
    statement that also checks that the enrollment is the student's and open; returns
    the updated row with ``lesson_title`` and ``lesson_order_index``. None if any of that
    does not hold (the caller finds out which)."""
    params: dict[str, Any] = {
        "enrollment": enrollment_id,
        "lesson": lesson_id,
        "student_id": student_id,
        "seconds": seconds,
        "position": position,
        "percentage": percentage,
        "now": now,
    }
    if metadata is not None:
        params["metadata"] = metadata
    statement = _record_progress_statement(with_metadata=metadata is not None)
    row: Row[Any] | None = (await session.execute(statement, params)).first()
    return row


async def add_time(
    session: AsyncSession, *, enrollment_id: uuid.UUID, seconds: int, now: datetime
) -> None:
    await session.execute(_ADD_TIME, {"enrollment": enrollment_id, "seconds": seconds, "now": now})


async def log_learning_time(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    seconds: int,
    now: datetime,
) -> None:
    await session.execute(
        _LOG_LEARNING_TIME,
        {
            "id": uuid.uuid4(),
            "enrollment_id": enrollment_id,
            "lesson_id": lesson_id,
            "seconds": seconds,
            "recorded_at": now,
        },
    )


_MARK_LESSON_COMPLETED = (
    update(_PROGRESS)
    .where(
        _PROGRESS.c.enrollment_id == bindparam("enrollment"),
        _PROGRESS.c.lesson_id == bindparam("lesson"),
        _PROGRESS.c.status != "completed",
    )
    .values(
        status="completed",
        completed_at=_NOW,
        started_at=func.coalesce(_PROGRESS.c.started_at, _NOW),
        completion_percentage=100,
        updated_at=_NOW,
    )
)


@functools.cache
def _count_lesson_completed_statement() -> Any:
    """On the table, returning columns and the course labels: the usual lesson
    completion is this statement and the mark before it."""
    table = ENROLLMENTS
    return (
        update(table)
        .where(table.c.id == bindparam("enrollment"))
        .values(
            completed_lessons_count=table.c.completed_lessons_count + 1,
            progress_percentage=percentage(
                table.c.completed_lessons_count + 1, table.c.total_lessons_count
            ),
            last_accessed_at=_NOW,
            started_at=func.coalesce(table.c.started_at, _NOW),
        )
        .returning(
            *table.c,
            courses.course_title(table.c.course_id).label("course_title"),
            courses.course_slug(table.c.course_id).label("course_slug"),
        )
    )


# Active with every lesson done: completed by the one statement that finds it so.
_DONE = and_(
    Enrollment.status == "active",
    Enrollment.total_lessons_count > 0,
    Enrollment.completed_lessons_count >= Enrollment.total_lessons_count,
)
_COMPLETE_IF_DONE = (
    update(Enrollment)
    .where(Enrollment.id == bindparam("enrollment"), _DONE)
    .values(status="completed", completed_at=_NOW)
    .returning(Enrollment)
    .execution_options(synchronize_session=False, populate_existing=True)
)


_MARK_OWN_LESSON_COMPLETED = _MARK_LESSON_COMPLETED.where(_OWNED_AND_OPEN)


@functools.cache
def _mark_own_ungated_lesson_completed() -> Any:
    """The student's mark, for a lesson without unlock rules only (a lesson with rules
    is checked first: ``courses.require_lesson_unlocked``)."""
    return _MARK_OWN_LESSON_COMPLETED.where(~courses.lesson_is_gated(_PROGRESS.c.lesson_id))


async def mark_lesson_completed(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    now: datetime,
    student_id: uuid.UUID | None = None,
    ungated_only: bool = False,
) -> bool:
    """Flip the lesson to completed; True only for the one request that flipped it. With
    ``student_id``, only if the enrollment is that student's and gives access; with
    ``ungated_only`` too, only if the lesson has no unlock rule (drip release)."""
    params = {"enrollment": enrollment_id, "lesson": lesson_id, "now": now}
    if student_id is None:
        result = await session.execute(_MARK_LESSON_COMPLETED, params)
    else:
        statement = (
            _mark_own_ungated_lesson_completed() if ungated_only else _MARK_OWN_LESSON_COMPLETED
        )
        result = await session.execute(statement, {**params, "student_id": student_id})
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_lesson_completed(
    session: AsyncSession, *, enrollment_id: uuid.UUID, now: datetime
) -> Row[*tuple[Any, ...]] | None:
    """Count one more completed lesson; returns the enrollment's row as updated, with
    ``course_title`` and ``course_slug`` (None if there is none). Mapped objects of the
    enrollment already in the session are not refreshed."""
    statement = _count_lesson_completed_statement()
    row: Row[*tuple[Any, ...]] | None = (
        await session.execute(statement, {"enrollment": enrollment_id, "now": now})
    ).first()
    return row


async def complete_if_done(
    session: AsyncSession, *, enrollment_id: uuid.UUID, now: datetime
) -> Enrollment | None:
    """Complete the enrollment if it is active with every lesson done; returns it as
    updated, or None if this statement did not complete it (exactly one does)."""
    enrollment: Enrollment | None = await session.scalar(
        _COMPLETE_IF_DONE, {"enrollment": enrollment_id, "now": now}
    )
    return enrollment


async def finish_completed(
    session: AsyncSession,
    *,
    now: datetime,
    enrollment_id: uuid.UUID | None = None,
    course_id: uuid.UUID | None = None,
) -> list[Enrollment]:
    """Mark active enrollments whose every lesson is done as completed; returns the
    enrollments this statement completed, as updated (each is returned by exactly one
    transaction)."""
    condition = _DONE
    if enrollment_id is not None:
        condition = and_(condition, Enrollment.id == enrollment_id)
    if course_id is not None:
        condition = and_(condition, Enrollment.course_id == course_id)
    result = await session.execute(
        update(Enrollment)
        .where(condition)
        .values(status="completed", completed_at=now)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return list(result.scalars())


async def set_certificate_issued(
    session: AsyncSession, *, enrollment_id: uuid.UUID, issued_at: datetime
) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.certificate_issued_at.is_(None))
        .values(certificate_issued_at=issued_at)
        .execution_options(synchronize_session=False)
    )
