"""What the gradebook reads of quizzes: the graded (not practice), published quizzes of
a course and their graded attempts, as SQL for the grades module's statements."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, Subquery, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.quizzes.models import Quiz, QuizAttempt


def _counting_quiz(course_id: uuid.UUID) -> list[ColumnElement[bool]]:
    return [Quiz.course_id == course_id, Quiz.quiz_type == "graded", Quiz.is_published.is_(True)]


def graded_attempt_scores(course_id: uuid.UUID) -> Subquery:
    return (
        select(
            QuizAttempt.id.label("attempt_id"),
            QuizAttempt.enrollment_id.label("enrollment_id"),
            QuizAttempt.quiz_id.label("quiz_id"),
            QuizAttempt.attempt_number.label("attempt_number"),
            QuizAttempt.percentage.label("percentage"),
            QuizAttempt.is_late.label("is_late"),
            QuizAttempt.late_penalty_percent.label("late_penalty_percent"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            *_counting_quiz(course_id),
            QuizAttempt.status == "graded",
            QuizAttempt.percentage.is_not(None),
        )
        .subquery("graded_quiz_attempts")
    )


async def graded_quizzes(
    session: AsyncSession, course_id: uuid.UUID
) -> list[tuple[uuid.UUID, str, datetime]]:
    rows = await session.execute(
        select(Quiz.id, Quiz.title, Quiz.created_at)
        .where(*_counting_quiz(course_id))
        .order_by(Quiz.created_at, Quiz.id)
    )
    return [(row.id, row.title, row.created_at) for row in rows]
