"""Enrolling: a new enrollment's progress rows; dropping and reactivating."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal

from sqlalchemy import insert, update
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
) -> bool:
    """Move the student's enrollment from one status to another in one statement; False
    when it is not in ``from_status`` (so concurrent changes cannot cross)."""
    result = await session.execute(
        update(Enrollment)
        .where(
            Enrollment.student_id == student_id,
            Enrollment.course_id == course_id,
            Enrollment.status == from_status,
        )
        .values(status=to_status)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
