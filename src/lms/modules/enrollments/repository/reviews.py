"""Reviews, and the statistics of a course's enrollments."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.enrollments.models import Enrollment


async def set_review(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    rating: int,
    review: str | None,
    now: datetime,
) -> Enrollment | None:
    """Set the enrollment's review; returns it as updated (None if there is none)."""
    updated: Enrollment | None = await session.scalar(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .values(rating=rating, review=review, reviewed_at=now)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return updated


async def course_stats(
    session: AsyncSession,
    course_id: uuid.UUID,
    *,
    active_since: datetime,
    cohorts: Collection[uuid.UUID] | None = None,
) -> dict[str, Any]:
    """Counts by status, averages and totals of a course's enrollments (of its
    ``cohorts`` only, when given), in one query."""
    in_cohorts = [] if cohorts is None else [Enrollment.cohort_id.in_(sorted(cohorts))]

    def count_where(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Enrollment.id).label("total"),
                count_where(Enrollment.status == "active").label("active"),
                count_where(Enrollment.status == "completed").label("completed"),
                count_where(Enrollment.status == "dropped").label("dropped"),
                count_where(Enrollment.status == "expired").label("expired"),
                count_where(Enrollment.last_accessed_at >= active_since).label("recent"),
                func.avg(Enrollment.progress_percentage).label("average_progress"),
                func.avg(Enrollment.rating).label("average_rating"),
                func.count(Enrollment.rating).label("ratings"),
                func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("time"),
            ).where(Enrollment.course_id == course_id, *in_cohorts)
        )
    ).one()
    return dict(row._mapping)
