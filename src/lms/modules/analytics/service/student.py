"""A student's own analytics: the dashboard (summary and recent activity) and the
progress page (summary and one line per enrolled course)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import (
    ActivityItem,
    CourseProgress,
    StudentDashboard,
    StudentProgress,
)
from lms.modules.analytics.service.caching import cached
from lms.modules.analytics.service.figures import mean, mean_or_zero, optional_decimal

RECENT_ACTIVITY_ITEMS = 10


async def _student_summary(session: AsyncSession, student_id: uuid.UUID) -> dict[str, Any]:
    row = await repository.student_summary(session, student_id)
    enrolled = int(row["enrolled"])
    graded = int(row["graded"])
    return {
        "student_id": student_id,
        "total_courses_enrolled": enrolled,
        "courses_completed": int(row["completed"]),
        "courses_in_progress": int(row["in_progress"]),
        "lessons_completed": int(row["lessons"]),
        "total_time_spent_seconds": int(row["seconds"]),
        "average_progress": mean_or_zero(row["progress_sum"], enrolled),
        "quiz_attempts": int(row["attempts"]),
        "quizzes_passed": int(row["passed"]),
        "average_quiz_score": mean(row["score_sum"], graded),
        "best_quiz_score": optional_decimal(row["best_score"]),
        "certificates_earned": int(row["certificates"]),
        "generated_at": utcnow(),
    }


async def compute_student_dashboard(
    session: AsyncSession, *, student_id: uuid.UUID
) -> StudentDashboard:
    """The dashboard of one student, uncached and without an access check."""
    summary = await _student_summary(session, student_id)
    activity = await repository.student_recent_activity(
        session, student_id, limit=RECENT_ACTIVITY_ITEMS
    )
    return StudentDashboard(
        **summary, recent_activity=[ActivityItem.model_validate(row) for row in activity]
    )


async def compute_student_progress(
    session: AsyncSession, *, student_id: uuid.UUID
) -> StudentProgress:
    """The progress page of one student, uncached and without an access check."""
    summary = await _student_summary(session, student_id)
    rows = await repository.student_courses(session, student_id)
    return StudentProgress(**summary, courses=[CourseProgress.model_validate(row) for row in rows])


async def student_dashboard(
    session: AsyncSession,
    *,
    cache: Cache,
    settings: Settings,
    principal: Principal,
    fresh: bool = False,
) -> StudentDashboard:
    """The caller's own learning: courses, lessons, time, quiz scores, certificates and
    their latest activity."""
    return await cached(
        cache,
        settings,
        key=f"student-dashboard:{principal.id}",
        fresh=fresh,
        model=StudentDashboard,
        compute=lambda: compute_student_dashboard(session, student_id=principal.id),
    )


async def student_progress(
    session: AsyncSession,
    *,
    cache: Cache,
    settings: Settings,
    principal: Principal,
    fresh: bool = False,
) -> StudentProgress:
    """The caller's own progress summary with one line per enrolled course."""
    return await cached(
        cache,
        settings,
        key=f"student-progress:{principal.id}",
        fresh=fresh,
        model=StudentProgress,
        compute=lambda: compute_student_progress(session, student_id=principal.id),
    )
