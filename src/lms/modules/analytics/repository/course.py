"""One course's figures: its enrollments, its lessons (completion, popularity, drop-off)
and the scores of its quizzes."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, and_, func, literal, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import (
    SCORE_BUCKETS,
    count_of,
    enrollment_figures,
    fetch_all,
    fetch_one,
    finished_attempts,
    passed_count,
    score_figures,
)
from lms.modules.analytics.repository.dialect import score_bucket
from lms.modules.courses.models import Lesson
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.quizzes.models import Quiz, QuizAttempt


def in_cohorts(cohorts: Collection[uuid.UUID] | None) -> list[ColumnElement[bool]]:
    """The enrollments of ``cohorts`` only (an assistant's part of a course); none
    (every enrollment) for None."""
    return [] if cohorts is None else [Enrollment.cohort_id.in_(sorted(cohorts))]


def _cohorts_enrollment_ids(course_id: uuid.UUID, cohorts: Collection[uuid.UUID]) -> Any:
    return select(Enrollment.id).where(Enrollment.course_id == course_id, *in_cohorts(cohorts))


async def course_enrollments(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    active_since: datetime,
    cohorts: Collection[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """Counts by status, recent activity, progress, ratings and time of one course (of
    its ``cohorts`` only, when given)."""
    stmt = select(
        *enrollment_figures(active_since),
        count_of(Enrollment.status == "active", Enrollment.status).label("active"),
        count_of(Enrollment.status == "dropped", Enrollment.status).label("dropped"),
        count_of(Enrollment.status == "expired", Enrollment.status).label("expired"),
        func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("seconds"),
    ).where(Enrollment.course_id == course_id, *in_cohorts(cohorts))
    return await fetch_one(session, stmt)


async def course_lessons(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    enrolled: int,
    cohorts: Collection[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """Per lesson in course order: students who started and who completed it, its
    popularity rank (most starts, then most completions), the completions of the step
    before it (``reached``; ``enrolled`` for the first lesson) and its rank by students
    lost (``drop_rank`` 1 = the drop-off lesson).

    Started means in progress or completed (``STARTED_PROGRESS``): each lesson's two
    counts are ranges of ``ix_lesson_progress_lesson_report`` alone, so the rows of
    lessons nobody opened are never read and each started row is read once."""

    def progress_count(status: str) -> ColumnElement[int]:
        # A correlated count(*) per lesson and status: a range of the index, counted
        # without evaluating anything per row (no FILTER, no hashing of the groups).
        counted = select(func.count()).where(
            LessonProgress.lesson_id == Lesson.id, LessonProgress.status == status
        )
        if cohorts is not None:  # an assistant's cohorts: their students' rows only
            counted = counted.where(
                LessonProgress.enrollment_id.in_(_cohorts_enrollment_ids(course_id, cohorts))
            )
        return counted.correlate(Lesson).scalar_subquery()

    counts = (
        select(
            Lesson.id.label("lesson_id"),
            Lesson.title,
            Lesson.order_index,
            Lesson.lesson_type,
            Lesson.created_at,
            progress_count("in_progress").label("in_progress"),
            progress_count("completed").label("completed"),
        )
        .where(Lesson.course_id == course_id)
        # Materialized: PostgreSQL would otherwise inline the counts into every
        # expression that uses them and run each count three or four times.
        .cte("counts")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    per_lesson = select(
        counts.c.lesson_id,
        counts.c.title,
        counts.c.order_index,
        counts.c.lesson_type,
        counts.c.created_at,
        (counts.c.in_progress + counts.c.completed).label("started"),
        counts.c.completed,
    ).subquery("per_lesson")
    course_order = (per_lesson.c.order_index, per_lesson.c.created_at, per_lesson.c.lesson_id)
    ranked = select(
        per_lesson,
        func.row_number().over(order_by=course_order).label("position"),
        func.row_number()
        .over(order_by=(per_lesson.c.started.desc(), per_lesson.c.completed.desc(), *course_order))
        .label("popularity_rank"),
        func.lag(per_lesson.c.completed, literal_column("1"), literal(enrolled, BigInteger))
        .over(order_by=course_order)
        .label("reached"),
    ).subquery("ranked")
    lost = ranked.c.reached - ranked.c.completed
    stmt = select(
        ranked,
        lost.label("lost"),
        func.row_number().over(order_by=(lost.desc(), ranked.c.position)).label("drop_rank"),
    ).order_by(ranked.c.position)
    return await fetch_all(session, stmt)


def _attempts_of(
    course_id: uuid.UUID, cohorts: Collection[uuid.UUID] | None
) -> list[ColumnElement[bool]]:
    if cohorts is None:
        return []
    return [QuizAttempt.enrollment_id.in_(_cohorts_enrollment_ids(course_id, cohorts))]


async def course_scores(
    session: AsyncSession, course_id: uuid.UUID, *, cohorts: Collection[uuid.UUID] | None = None
) -> dict[str, Any]:
    """The finished attempts at the course's quizzes: counts, average, extremes, passes
    and the number of graded percentages in each ten-point bucket (90-100 includes 100).

    The attempts are grouped by bucket once (one expression per row, instead of a range
    test per bucket and row) and the few groups summed into one row."""
    pct = QuizAttempt.percentage
    bucket = score_bucket(session, pct)
    groups = (
        select(
            bucket.label("bucket"),
            *score_figures(),
            func.max(pct).label("highest"),
            func.min(pct).label("lowest"),
            passed_count(),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course_id, finished_attempts(), *_attempts_of(course_id, cohorts))
        .group_by(bucket)
        .subquery("buckets")
    )
    buckets = [
        func.coalesce(func.sum(groups.c.graded).filter(groups.c.bucket == lower // 10), 0).label(
            f"bucket_{lower}"
        )
        for lower, _upper in SCORE_BUCKETS
    ]
    stmt = select(
        func.coalesce(func.sum(groups.c.attempts), 0).label("attempts"),
        func.coalesce(func.sum(groups.c.graded), 0).label("graded"),
        func.sum(groups.c.score_sum).label("score_sum"),
        func.max(groups.c.highest).label("highest"),
        func.min(groups.c.lowest).label("lowest"),
        func.coalesce(func.sum(groups.c.passed), 0).label("passed"),
        *buckets,
    )
    return await fetch_one(session, stmt)


async def course_quizzes(
    session: AsyncSession, course_id: uuid.UUID, *, cohorts: Collection[uuid.UUID] | None = None
) -> list[dict[str, Any]]:
    """Per quiz of the course: finished attempts, graded ones, their sum and passes."""
    finished = and_(
        QuizAttempt.quiz_id == Quiz.id, finished_attempts(), *_attempts_of(course_id, cohorts)
    )
    stmt = (
        select(Quiz.id.label("quiz_id"), Quiz.title, *score_figures(), passed_count())
        .select_from(Quiz)
        .outerjoin(QuizAttempt, finished)
        .where(Quiz.course_id == course_id)
        .group_by(Quiz.id, Quiz.title, Quiz.created_at)
        .order_by(Quiz.created_at, Quiz.id)
    )
    return await fetch_all(session, stmt)
