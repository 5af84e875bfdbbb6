"""Keeping enrollments in step with their course: counters when lessons are added or
deleted, and the count that refuses a course's deletion."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.enrollments.repository.expressions import percentage


async def count_for_course(session: AsyncSession, course_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.course_id == course_id)
        )
        or 0
    )


async def enrollment_ids_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(select(Enrollment.id).where(Enrollment.course_id == course_id))
    )


async def lock_enrollments_of_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    """Wait for every in-flight progress change of the course's enrollments, so the
    recount that follows sees them all (PostgreSQL; SQLite serialises writers)."""
    await session.execute(
        select(Enrollment.id)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.id)
        .with_for_update()
    )


async def add_lessons_to_totals(session: AsyncSession, course_id: uuid.UUID, added: int) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.course_id == course_id)
        .values(
            total_lessons_count=Enrollment.total_lessons_count + added,
            progress_percentage=percentage(
                Enrollment.completed_lessons_count, Enrollment.total_lessons_count + added
            ),
        )
    )


async def recount_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    """Recompute every enrollment's lesson counters of a course from its progress rows,
    in one statement."""
    total = (
        select(func.count(LessonProgress.id))
        .where(LessonProgress.enrollment_id == Enrollment.id)
        .scalar_subquery()
    )
    completed = (
        select(func.count(LessonProgress.id))
        .where(LessonProgress.enrollment_id == Enrollment.id, LessonProgress.status == "completed")
        .scalar_subquery()
    )
    await session.execute(
        update(Enrollment)
        .where(Enrollment.course_id == course_id)
        .values(
            total_lessons_count=total,
            completed_lessons_count=completed,
            progress_percentage=percentage(completed, total),
        )
    )
