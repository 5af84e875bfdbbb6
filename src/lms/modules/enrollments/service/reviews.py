"""Reviews of a course by its students, and the course's enrollment statistics."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.modules import courses
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.schemas import CourseEnrollmentStats, ReviewCreate, StatusCounts
from lms.modules.enrollments.service.lookups import own_enrollment

ACTIVE_STUDENT_DAYS = 30


async def review_enrollment(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID, data: ReviewCreate
) -> Enrollment:
    """The enrolled student rates the course (1-5) with an optional text; one review per
    enrollment, replaced when sent again."""
    enrollment = await own_enrollment(session, principal, enrollment_id)
    reviewed = await repository.set_review(
        session,
        enrollment_id=enrollment.id,
        rating=data.rating,
        review=data.review,
        now=utcnow(),
    )
    assert reviewed is not None  # it was read above, in this transaction
    return reviewed


async def course_stats(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> CourseEnrollmentStats:
    """Counts by status, average progress and rating, completion rate, computed in SQL.
    For the course's team (``CoursePolicy.read_roster``) and admins; an assistant of some
    cohorts gets the figures of those cohorts' students only."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    course = access.course
    row = await repository.course_stats(
        session,
        course.id,
        active_since=utcnow() - timedelta(days=ACTIVE_STUDENT_DAYS),
        cohorts=access.within_cohorts,
    )
    total = int(row["total"])
    completed = int(row["completed"])
    time_spent = int(row["time"])
    return CourseEnrollmentStats(
        course_id=course.id,
        total_enrollments=total,
        by_status=StatusCounts(
            active=int(row["active"]),
            completed=completed,
            dropped=int(row["dropped"]),
            expired=int(row["expired"]),
        ),
        active_students=int(row["recent"]),
        completed_enrollments=completed,
        completion_rate=round(completed * 100 / total, 2) if total else 0.0,
        average_progress=round(float(row["average_progress"] or 0), 2),
        average_rating=(
            round(float(row["average_rating"]), 2) if row["average_rating"] is not None else None
        ),
        ratings_count=int(row["ratings"]),
        total_time_spent_seconds=time_spent,
        average_time_spent_seconds=round(time_spent / total, 2) if total else 0.0,
    )
