"""Reading one enrollment, and the access conditions other statements embed."""

from __future__ import annotations

import uuid
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ScalarSelect,
    Subquery,
    Table,
    exists,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.enrollments.repository.expressions import ENROLLMENTS, gives_access

_PROGRESS = cast(Table, LessonProgress.__table__)


async def get(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    return await session.get(Enrollment, enrollment_id)


async def get_for(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    result: Enrollment | None = await session.scalar(
        select(Enrollment).where(
            Enrollment.student_id == student_id, Enrollment.course_id == course_id
        )
    )
    return result


def access_condition(student_id: Any, course_id: Any) -> ColumnElement[bool]:
    """True when the student's enrollment in the course gives access to its material."""
    return exists().where(
        ENROLLMENTS.c.student_id == student_id,
        ENROLLMENTS.c.course_id == course_id,
        gives_access(),
    )


def in_cohorts_condition(
    student_id: Any, course_id: uuid.UUID, cohort_ids: list[uuid.UUID]
) -> ColumnElement[bool]:
    """True when the student's enrollment in the course is in one of the cohorts."""
    return exists().where(
        ENROLLMENTS.c.student_id == student_id,
        ENROLLMENTS.c.course_id == course_id,
        ENROLLMENTS.c.cohort_id.in_(cohort_ids),
    )


def accessible_enrollment_id(student_id: Any, course_id: Any) -> ScalarSelect[uuid.UUID]:
    """The id of the student's enrollment in the course if it gives access, else NULL."""
    return (
        select(ENROLLMENTS.c.id)
        .where(
            ENROLLMENTS.c.student_id == student_id,
            ENROLLMENTS.c.course_id == course_id,
            gives_access(),
        )
        .scalar_subquery()
    )


def accessible_enrollment_column(column: str, student_id: Any, course_id: Any) -> ScalarSelect[Any]:
    """One column of the student's enrollment in the course if it gives access, else
    NULL (a scalar subquery on the unique student and course)."""
    return (
        select(ENROLLMENTS.c[column])
        .where(
            ENROLLMENTS.c.student_id == student_id,
            ENROLLMENTS.c.course_id == course_id,
            gives_access(),
        )
        .scalar_subquery()
    )


def lesson_done_condition(student_id: Any, course_id: Any, lesson_id: Any) -> ColumnElement[bool]:
    """True when the student's enrollment in the course has the lesson completed."""
    return exists().where(
        _PROGRESS.c.enrollment_id == ENROLLMENTS.c.id,
        _PROGRESS.c.lesson_id == lesson_id,
        _PROGRESS.c.status == "completed",
        ENROLLMENTS.c.student_id == student_id,
        ENROLLMENTS.c.course_id == course_id,
    )


async def list_enrollments(
    session: AsyncSession,
    *,
    student_id: uuid.UUID | None,
    course_ids: list[uuid.UUID] | None,
    statuses: list[str],
) -> list[Enrollment]:
    statement = select(Enrollment).where(Enrollment.status.in_(statuses))
    if student_id is not None:
        statement = statement.where(Enrollment.student_id == student_id)
    if course_ids is not None:
        if not course_ids:
            return []
        statement = statement.where(Enrollment.course_id.in_(course_ids))
    return list(await session.scalars(statement.order_by(Enrollment.enrolled_at, Enrollment.id)))


def student_cohort_id(student_id: Any, course_id: Any) -> ScalarSelect[uuid.UUID]:
    """The cohort of the student's enrollment in the course, or NULL."""
    return (
        select(ENROLLMENTS.c.cohort_id)
        .where(ENROLLMENTS.c.student_id == student_id, ENROLLMENTS.c.course_id == course_id)
        .scalar_subquery()
    )


def course_enrollments(course_id: uuid.UUID) -> Subquery:
    """Every enrollment of the course, whatever its status."""
    return (
        select(
            ENROLLMENTS.c.id.label("enrollment_id"),
            ENROLLMENTS.c.student_id.label("student_id"),
            ENROLLMENTS.c.cohort_id.label("cohort_id"),
            ENROLLMENTS.c.status.label("status"),
            ENROLLMENTS.c.enrolled_at.label("enrolled_at"),
        )
        .where(ENROLLMENTS.c.course_id == course_id)
        .subquery("course_enrollments")
    )
