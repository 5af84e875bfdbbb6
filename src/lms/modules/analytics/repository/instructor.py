"""An instructor's figures: one row per course of theirs, the quiz scores per course,
and the totals over all their courses (distinct students, not a sum per course)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import (
    course_figures,
    enrollment_figures,
    fetch_all,
    fetch_one,
    finished_attempts,
    score_figures,
)
from lms.modules.courses.models import Course
from lms.modules.enrollments.models import Enrollment
from lms.modules.quizzes.models import Quiz, QuizAttempt


def _finished_attempts_of(instructor_id: uuid.UUID, *columns: Any) -> Select[Any]:
    """``columns`` over the finished attempts at the quizzes of the instructor's courses."""
    return (
        select(*columns)
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(Course.instructor_id == instructor_id, finished_attempts())
    )


async def instructor_courses(
    session: AsyncSession, instructor_id: uuid.UUID, *, active_since: datetime
) -> list[dict[str, Any]]:
    """One row per course of the instructor with its enrollment figures."""
    stmt = (
        select(
            Course.id.label("course_id"),
            Course.title,
            Course.is_published,
            *enrollment_figures(active_since),
        )
        .select_from(Course)
        .outerjoin(Enrollment, Enrollment.course_id == Course.id)
        .where(Course.instructor_id == instructor_id)
        .group_by(Course.id, Course.title, Course.is_published, Course.created_at)
        .order_by(Course.created_at, Course.id)
    )
    return await fetch_all(session, stmt)


async def instructor_course_scores(
    session: AsyncSession, instructor_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Per course of the instructor: finished quiz attempts and their percentages."""
    stmt = _finished_attempts_of(instructor_id, Quiz.course_id, *score_figures()).group_by(
        Quiz.course_id
    )
    return await fetch_all(session, stmt)


async def instructor_totals(
    session: AsyncSession, instructor_id: uuid.UUID, *, active_since: datetime
) -> dict[str, Any]:
    """The instructor's figures over all their courses at once (distinct students, not a
    sum of per-course counts), in one query."""
    courses = (
        select(*course_figures(total="courses"))
        .where(Course.instructor_id == instructor_id)
        .subquery("c")
    )
    enrollments = (
        select(
            *enrollment_figures(active_since),
            func.count(Enrollment.student_id.distinct()).label("students"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.instructor_id == instructor_id)
        .subquery("e")
    )
    attempts = _finished_attempts_of(instructor_id, *score_figures()).subquery("a")
    stmt = (
        select(courses, enrollments, attempts)
        .select_from(courses)
        .join(enrollments, true())
        .join(attempts, true())
    )
    return await fetch_one(session, stmt)
