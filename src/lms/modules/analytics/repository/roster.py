"""A course's students as its staff read them: status, cohort, progress, last activity
and quiz average, filtered, sorted and paged in SQL (the quiz average is computed for
the rows of the page only, unless the page is sorted by it)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import finished_attempts
from lms.modules.courses.models import Cohort
from lms.modules.enrollments.models import Enrollment
from lms.modules.quizzes.models import Quiz, QuizAttempt
from lms.modules.users.models import User


@dataclass(frozen=True)
class RosterFilter:
    course_id: uuid.UUID
    cohort_id: uuid.UUID | None = None
    # An assistant of some cohorts sees only these.
    within_cohorts: Collection[uuid.UUID] | None = None
    status: str | None = None
    search: str | None = None
    sort: str = "full_name"
    descending: bool = False


def _quiz_average() -> Any:
    return (
        select(func.avg(QuizAttempt.percentage))
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(
            Quiz.course_id == Enrollment.course_id,
            QuizAttempt.student_id == Enrollment.student_id,
            finished_attempts(),
        )
        .scalar_subquery()
    )


def _like(text: str) -> str:
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _quiz_averages(course_id: uuid.UUID) -> Any:
    """Every student's quiz average in the course, in one grouped pass (for sorting the
    whole roster by it; a page sorted otherwise asks per row of the page only)."""
    return (
        select(
            QuizAttempt.student_id.label("student_id"),
            func.avg(QuizAttempt.percentage).label("average"),
        )
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course_id, finished_attempts())
        .group_by(QuizAttempt.student_id)
        .subquery("quiz_averages")
    )


def roster_statement(filters: RosterFilter) -> Select[*tuple[Any, ...]]:
    averages = _quiz_averages(filters.course_id) if filters.sort == "quiz_average" else None
    quiz_average = (averages.c.average if averages is not None else _quiz_average()).label(
        "quiz_average"
    )
    statement = (
        select(
            Enrollment.id.label("enrollment_id"),
            Enrollment.student_id,
            User.full_name,
            User.email,
            Enrollment.status,
            Enrollment.cohort_id,
            Cohort.name.label("cohort_name"),
            Enrollment.progress_percentage,
            Enrollment.completed_lessons_count,
            Enrollment.total_lessons_count,
            Enrollment.enrolled_at,
            Enrollment.last_accessed_at,
            quiz_average,
        )
        .join(User, User.id == Enrollment.student_id)
        .outerjoin(Cohort, Cohort.id == Enrollment.cohort_id)
        .where(Enrollment.course_id == filters.course_id)
    )
    if averages is not None:
        statement = statement.outerjoin(averages, averages.c.student_id == Enrollment.student_id)
    if filters.cohort_id is not None:
        statement = statement.where(Enrollment.cohort_id == filters.cohort_id)
    if filters.within_cohorts is not None:
        statement = statement.where(Enrollment.cohort_id.in_(list(filters.within_cohorts)))
    if filters.status is not None:
        statement = statement.where(Enrollment.status == filters.status)
    if filters.search:
        pattern = _like(filters.search)
        statement = statement.where(
            or_(
                func.lower(User.full_name).like(pattern, escape="\\"),
                func.lower(User.email).like(pattern, escape="\\"),
            )
        )
    sort_columns: dict[str, Any] = {
        "full_name": User.full_name,
        "email": User.email,
        "progress": Enrollment.progress_percentage,
        "last_activity": Enrollment.last_accessed_at,
        "enrolled_at": Enrollment.enrolled_at,
        "quiz_average": quiz_average,
        "status": Enrollment.status,
    }
    column = sort_columns[filters.sort]
    ordered = column.desc().nulls_last() if filters.descending else column.asc().nulls_last()
    return statement.order_by(ordered, Enrollment.id)


def _count_statement(filters: RosterFilter) -> Select[*tuple[Any, ...]]:
    statement = select(func.count(Enrollment.id)).where(Enrollment.course_id == filters.course_id)
    if filters.search:
        statement = statement.join(User, User.id == Enrollment.student_id)
    inner = roster_statement(filters).whereclause
    return statement.where(and_(inner)) if inner is not None else statement


async def roster_page(
    session: AsyncSession, filters: RosterFilter, *, offset: int, limit: int
) -> tuple[list[Any], int]:
    rows = list(await session.execute(roster_statement(filters).offset(offset).limit(limit)))
    total = await session.scalar(_count_statement(filters))
    return rows, int(total or 0)


async def roster_rows(
    session: AsyncSession, filters: RosterFilter, *, batch: int = 1000
) -> AsyncIterator[Any]:
    """Every row of the roster in order, fetched ``batch`` at a time from a server-side
    cursor (the whole roster is never held)."""
    result = await session.stream(roster_statement(filters).execution_options(yield_per=batch))
    async for row in result:
        yield row
