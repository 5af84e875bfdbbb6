"""What the gradebook reads of quizzes: the graded (not practice), published quizzes of
a course and their graded attempts, as SQL for the grades module's statements."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import ColumnElement, Subquery, Table, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes.models import Quiz, QuizAttempt

# Table columns, not mapped attributes: these statements are built for every page of a
# gradebook, and mapped attributes would send each through the ORM's statement handling.
QUIZZES = cast(Table, Quiz.__table__)
ATTEMPTS = cast(Table, QuizAttempt.__table__)


def _counting_quiz(course_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [
        QUIZZES.c.course_id == course_id,
        QUIZZES.c.quiz_type == "graded",
        QUIZZES.c.is_published.is_(True),
    ]


def graded_attempt_scores(course_id: uuid.UUID) -> Subquery:
    return (
        select(
            ATTEMPTS.c.id.label("attempt_id"),
            ATTEMPTS.c.enrollment_id,
            ATTEMPTS.c.quiz_id,
            ATTEMPTS.c.attempt_number,
            ATTEMPTS.c.percentage,
            ATTEMPTS.c.is_late,
            ATTEMPTS.c.late_penalty_percent,
        )
        .join(QUIZZES, QUIZZES.c.id == ATTEMPTS.c.quiz_id)
        .where(
            *_counting_quiz(course_id),
            ATTEMPTS.c.status == "graded",
            ATTEMPTS.c.percentage.is_not(None),
        )
        .subquery("graded_quiz_attempts")
    )


async def graded_quizzes(
    session: AsyncSession, course_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, datetime]]:
    rows = await session.execute(
        select(QUIZZES.c.id, QUIZZES.c.title, QUIZZES.c.created_at)
        .where(*_counting_quiz(course_id))
        .order_by(QUIZZES.c.created_at, QUIZZES.c.id)
    )
    return [(row.id, row.title, row.created_at) for row in rows]
