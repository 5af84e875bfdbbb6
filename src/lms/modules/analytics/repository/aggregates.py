"""The aggregates several reports share, written once: which rows count (finished
attempts, collected payments), the figures of a group of enrollments, attempts, payments
or courses, and running a statement into plain rows."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Numeric, func
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

from lms.modules.courses.models import Course
from lms.modules.enrollments.models import Enrollment
from lms.modules.quizzes.models import QuizAttempt

# Attempts a student has handed in: graded, or waiting for a grader (no score yet).
FINISHED_ATTEMPTS = ("submitted", "graded")
STARTED_PROGRESS = ("in_progress", "completed")
# Payments whose money was collected; refunds are subtracted through ``refunded_amount``.
COLLECTED_PAYMENTS = ("succeeded", "refunded")
SCORE_BUCKETS = tuple((lower, lower + 10) for lower in range(0, 100, 10))


def count_of(condition: ColumnElement[bool] | None = None, column: Any = None) -> Any:
    """COUNT(column) [FILTER (WHERE condition)]. The column counted is a non-null one
    of the reporting index (never ``id``), so that an index-only scan can answer."""
    counted = func.count(column) if column is not None else func.count()
    return counted.filter(condition) if condition is not None else counted


async def fetch_one(session: AsyncSession, stmt: Executable) -> dict[str, Any]:
    """The single row of an aggregate without GROUP BY, as a plain dict."""
    return dict((await session.execute(stmt)).mappings().one())


async def fetch_all(session: AsyncSession, stmt: Executable) -> list[dict[str, Any]]:
    """Every row of a statement, as plain dicts the service may change."""
    return [dict(row) for row in (await session.execute(stmt)).mappings().all()]


def finished_attempts() -> ColumnElement[bool]:
    """The attempts that count in a score: handed in (``FINISHED_ATTEMPTS``)."""
    return QuizAttempt.status.in_(FINISHED_ATTEMPTS)


def enrollment_figures(active_since: datetime) -> list[Any]:
    """Per group of enrollments: how many, recently active, completed, progress, ratings."""
    return [
        count_of(column=Enrollment.status).label("enrollments"),
        count_of(Enrollment.last_accessed_at >= active_since, Enrollment.status).label("recent"),
        count_of(Enrollment.status == "completed", Enrollment.status).label("completed"),
        func.sum(Enrollment.progress_percentage).label("progress_sum"),
        func.count(Enrollment.rating).label("ratings"),
        func.coalesce(func.sum(Enrollment.rating), 0).label("rating_sum"),
    ]


def score_figures() -> list[Any]:
    """Per group of finished attempts: how many, how many graded, their percentages."""
    return [
        func.count(QuizAttempt.status).label("attempts"),
        func.count(QuizAttempt.percentage).label("graded"),
        func.sum(QuizAttempt.percentage).label("score_sum"),
    ]


def passed_count() -> Any:
    """Per group of finished attempts: how many passed (``passed``)."""
    return count_of(QuizAttempt.is_passed.is_(True), QuizAttempt.status).label("passed")


def course_figures(*, total: str) -> list[Any]:
    """Per group of courses: how many (labelled ``total``) and how many are published."""
    return [
        func.count(Course.id).label(total),
        count_of(Course.is_published.is_(True), Course.id).label("published"),
    ]


def money_figures(amount: Any, refunded: Any) -> list[Any]:
    """``gross``, ``refunded`` and ``net`` of a group: sums of two-place amounts (of
    payments, or of sums already grouped), 0 when there are none."""
    money = Numeric(14, 2)
    gross = func.coalesce(func.sum(amount), 0).cast(money)
    refunds = func.coalesce(func.sum(refunded), 0).cast(money)
    return [gross.label("gross"), refunds.label("refunded"), (gross - refunds).label("net")]
