"""Enrolling: a new enrollment's progress rows; dropping and reactivating."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, insert, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment, LessonProgress


async def add_progress_rows(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """One progress row per (enrollment_id, lesson_id), in one bulk INSERT."""
    if not pairs:
        return
    await session.execute(
        insert(LessonProgress),
        [
            {
                "id": uuid.uuid4(),
                "enrollment_id": enrollment_id,
                "lesson_id": lesson_id,
                "status": "not_started",
                "time_spent_seconds": 0,
                "last_position_seconds": 0,
                "completion_percentage": Decimal("0"),
                "attempts_count": 0,
            }
            for enrollment_id, lesson_id in pairs
        ],
    )


async def change_status(
    session: AsyncSession,
    *,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    from_status: str,
    to_status: str,
) -> uuid.UUID | None:
    """Move the student's enrollment from one status to another in one statement; its
    id, or None when it is not in ``from_status`` (so concurrent changes cannot cross)."""
    changed: uuid.UUID | None = await session.scalar(
        update(Enrollment)
        .where(
            Enrollment.student_id == student_id,
            Enrollment.course_id == course_id,
            Enrollment.status == from_status,
        )
        .values(status=to_status)
        .returning(Enrollment.id)
        .execution_options(synchronize_session="fetch")
    )
    return changed


_UNSET: Any = object()


async def set_cohort(
    session: AsyncSession,
    enrollment_id: uuid.UUID,
    cohort_id: uuid.UUID | None,
    *,
    expected: uuid.UUID | None = _UNSET,
    enrolled_by_id: uuid.UUID | None = None,
) -> Enrollment | None:
    """Put the enrollment in ``cohort_id`` (and record who enrolled it); when
    ``expected`` is given, only if it is still in that cohort. Returns it as updated,
    or None when it is not there (or moved meanwhile)."""
    condition = Enrollment.id == enrollment_id
    if expected is not _UNSET:
        condition = and_(condition, Enrollment.cohort_id.is_not_distinct_from(expected))
    values: dict[str, Any] = {"cohort_id": cohort_id}
    if enrolled_by_id is not None:
        values["enrolled_by_id"] = enrolled_by_id
    updated: Enrollment | None = await session.scalar(
        update(Enrollment)
        .where(condition)
        .values(**values)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return updated


async def set_status(
    session: AsyncSession, enrollment_id: uuid.UUID, *, from_status: str, to_status: str
) -> Enrollment | None:
    """Move the enrollment from one status to another in one statement; returns it as
    updated, or None when it was not in ``from_status``."""
    updated: Enrollment | None = await session.scalar(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.status == from_status)
        .values(status=to_status)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return updated
