from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import cast

from sqlalchemy import ColumnElement, ColumnExpressionArgument, Subquery, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.assignments.models import AssignmentSubmission


async def get(session: AsyncSession, submission_id: uuid.UUID) -> AssignmentSubmission | None:
    return await session.get(AssignmentSubmission, submission_id)


async def get_for_update(
    session: AsyncSession, submission_id: uuid.UUID
) -> AssignmentSubmission | None:
    stmt = select(AssignmentSubmission).where(AssignmentSubmission.id == submission_id)
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    result: AssignmentSubmission | None = await session.scalar(
        stmt.execution_options(populate_existing=True)
    )
    return result


async def get_for_student(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID, lock: bool = False
) -> AssignmentSubmission | None:
    stmt = select(AssignmentSubmission).where(
        AssignmentSubmission.enrollment_id == enrollment_id,
        AssignmentSubmission.lesson_id == lesson_id,
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    result: AssignmentSubmission | None = await session.scalar(
        stmt.execution_options(populate_existing=True)
    )
    return result


async def page(
    session: AsyncSession,
    *,
    lesson_id: uuid.UUID | None = None,
    student_id: uuid.UUID | None = None,
    course_id: uuid.UUID | None = None,
    status: str | None = None,
    offset: int,
    limit: int,
    among: Callable[[ColumnExpressionArgument[uuid.UUID]], ColumnElement[bool]] | None = None,
) -> tuple[list[AssignmentSubmission], int]:
    """A page of submissions, newest first; ``among`` narrows the students (a condition
    on the submission's ``student_id``)."""
    stmt = select(AssignmentSubmission)
    if among is not None:
        stmt = stmt.where(among(AssignmentSubmission.student_id))
    if lesson_id is not None:
        stmt = stmt.where(AssignmentSubmission.lesson_id == lesson_id)
    if student_id is not None:
        stmt = stmt.where(AssignmentSubmission.student_id == student_id)
    if course_id is not None:
        stmt = stmt.where(AssignmentSubmission.course_id == course_id)
    if status is not None:
        stmt = stmt.where(AssignmentSubmission.status == status)
    statement = stmt.order_by(AssignmentSubmission.submitted_at.desc(), AssignmentSubmission.id)
    return await paginate(session, statement, offset=offset, limit=limit)


async def handed_in_with_file(
    session: AsyncSession, file_id: uuid.UUID
) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(course id, student id) of each submission that hands in this file."""
    rows = await session.execute(
        select(AssignmentSubmission.course_id, AssignmentSubmission.student_id)
        .where(AssignmentSubmission.file_id == file_id)
        .distinct()
    )
    return [(row.course_id, row.student_id) for row in rows]


def handed_in(
    lesson_id: ColumnExpressionArgument[uuid.UUID], student_id: object
) -> ColumnElement[bool]:
    """True when the student has handed in work for the lesson (columns)."""
    return (
        select(AssignmentSubmission.id)
        .where(
            AssignmentSubmission.lesson_id == lesson_id,
            AssignmentSubmission.student_id == student_id,
        )
        .exists()
    )


def graded_submission_scores(course_id: uuid.UUID) -> Subquery:
    """The graded submissions of the course (``service.graded_submission_scores``), in
    table columns: it is built for every page of a gradebook."""
    table = cast(Table, AssignmentSubmission.__table__)
    return (
        select(
            table.c.id.label("submission_id"),
            table.c.enrollment_id,
            table.c.lesson_id,
            table.c.score,
            table.c.is_late,
            table.c.late_penalty_percent,
        )
        .where(
            table.c.course_id == course_id,
            table.c.status == "graded",
            table.c.score.is_not(None),
        )
        .subquery("graded_submissions")
    )
