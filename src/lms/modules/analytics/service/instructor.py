"""An instructor's overview, for that instructor or an admin: one row per course with its
figures, the totals over all their courses (distinct students) and their revenue."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound
from lms.modules import users
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import (
    InstructorCourseRow,
    InstructorOverview,
    InstructorTotals,
)
from lms.modules.analytics.service.caching import cached
from lms.modules.analytics.service.figures import (
    active_since,
    mean,
    mean_or_zero,
    money_lines,
    percent,
)

STAFF_ROLES = ("instructor", "admin")
# The score figures of a course without any finished attempt.
NO_SCORES = {"attempts": 0, "graded": 0, "score_sum": None}


class InstructorNotFound(NotFound):
    code = "instructor_not_found"
    detail = "There is no instructor with this id."


def _teaching_figures(
    enrollments: dict[str, Any], scores: dict[str, Any], revenue: list[dict[str, Any]]
) -> dict[str, Any]:
    """The figures a course row and the totals share, from a row of enrollment figures
    (enrollments, recent, completed, progress and ratings), one of score figures
    (attempts, graded, score sum) and the revenue lines."""
    enrolled = int(enrollments["enrollments"])
    completed = int(enrollments["completed"])
    ratings = int(enrollments["ratings"])
    return {
        "total_enrollments": enrolled,
        "active_students": int(enrollments["recent"]),
        "completed_enrollments": completed,
        "completion_rate": percent(completed, enrolled),
        "average_rating": mean(enrollments["rating_sum"], ratings),
        "ratings_count": ratings,
        "average_progress": mean_or_zero(enrollments["progress_sum"], enrolled),
        "quiz_attempts": int(scores["attempts"]),
        "average_quiz_score": mean(scores["score_sum"], int(scores["graded"])),
        "revenue": money_lines(revenue),
    }


async def compute_instructor_overview(
    session: AsyncSession, *, instructor_id: uuid.UUID, instructor_name: str
) -> InstructorOverview:
    """The overview of one instructor, uncached and without an access check."""
    since = active_since()
    course_rows = await repository.instructor_courses(session, instructor_id, active_since=since)
    scores = {
        row["course_id"]: row
        for row in await repository.instructor_course_scores(session, instructor_id)
    }
    revenue_rows = await repository.revenue(session, instructor_id=instructor_id, per_course=True)
    totals = await repository.instructor_totals(session, instructor_id, active_since=since)
    total_revenue = await repository.revenue(session, instructor_id=instructor_id)

    revenue_by_course: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in revenue_rows:
        revenue_by_course.setdefault(row["course_id"], []).append(row)
    rows = [
        InstructorCourseRow(
            course_id=row["course_id"],
            title=row["title"],
            is_published=row["is_published"],
            **_teaching_figures(
                row,
                scores.get(row["course_id"], NO_SCORES),
                revenue_by_course.get(row["course_id"], []),
            ),
        )
        for row in course_rows
    ]
    return InstructorOverview(
        instructor_id=instructor_id,
        instructor_name=instructor_name,
        totals=InstructorTotals(
            total_courses=int(totals["courses"]),
            published_courses=int(totals["published"]),
            unique_students=int(totals["students"]),
            **_teaching_figures(totals, totals, total_revenue),
        ),
        courses=rows,
        generated_at=utcnow(),
    )


async def instructor_overview(
    session: AsyncSession,
    *,
    cache: Cache,
    settings: Settings,
    principal: Principal,
    instructor_id: uuid.UUID,
    fresh: bool = False,
) -> InstructorOverview:
    """An instructor's courses with their figures, totals and revenue: for that
    instructor or an admin (403 for anyone else; 404 if the id is no instructor's)."""
    if not principal.is_admin and principal.id != instructor_id:
        raise Forbidden(
            "Only the instructor or an admin may see these figures.", code="not_your_analytics"
        )
    instructor = await users.get_user_summary(session, instructor_id)
    if instructor is None or instructor.role not in STAFF_ROLES:
        raise InstructorNotFound()
    return await cached(
        cache,
        settings,
        key=f"instructor:{instructor.id}",
        fresh=fresh,
        model=InstructorOverview,
        compute=lambda: compute_instructor_overview(
            session, instructor_id=instructor.id, instructor_name=instructor.full_name
        ),
    )
