"""What the weekly-progress and reminder emails are built from."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment, LearningTime, LessonProgress


async def weekly_activity(
    session: AsyncSession, *, since: datetime
) -> tuple[list[Enrollment], dict[uuid.UUID, int], dict[uuid.UUID, int]]:
    """Enrollments worth a weekly summary (active, or touched since ``since``), and per
    student the lessons completed and seconds learnt since then."""
    enrollments = list(
        await session.scalars(
            select(Enrollment)
            .where((Enrollment.status == "active") | (Enrollment.last_accessed_at >= since))
            .order_by(Enrollment.student_id, Enrollment.enrolled_at)
        )
    )
    completed_rows = await session.execute(
        select(Enrollment.student_id, func.count(LessonProgress.id))
        .join(LessonProgress, LessonProgress.enrollment_id == Enrollment.id)
        .where(LessonProgress.completed_at >= since)
        .group_by(Enrollment.student_id)
    )
    time_rows = await session.execute(
        select(Enrollment.student_id, func.sum(LearningTime.seconds))
        .join(LearningTime, LearningTime.enrollment_id == Enrollment.id)
        .where(LearningTime.recorded_at >= since)
        .group_by(Enrollment.student_id)
    )
    return (
        enrollments,
        {student: int(count) for student, count in completed_rows},
        {student: int(seconds or 0) for student, seconds in time_rows},
    )


async def inactive_enrollments(session: AsyncSession, *, before: datetime) -> list[Enrollment]:
    """Active enrollments nobody has opened since ``before``."""
    return list(
        await session.scalars(
            select(Enrollment)
            .where(
                Enrollment.status == "active",
                func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at) <= before,
            )
            .order_by(Enrollment.enrolled_at)
        )
    )
