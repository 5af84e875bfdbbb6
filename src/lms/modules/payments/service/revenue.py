"""Revenue for admins: money collected, net of refunds."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules import courses
from lms.modules.payments import repository
from lms.modules.payments.schemas import (
    CourseRevenue,
    MonthRevenue,
    ProviderRevenue,
    RevenueLine,
    RevenueSummary,
)


async def revenue_summary(
    session: AsyncSession, *, date_from: date | None, date_to: date | None
) -> RevenueSummary:
    """Collected money net of refunds, per currency, and by provider, course and month
    (all summed in SQL; amounts in different currencies are never added together)."""
    since = datetime.combine(date_from, time.min, UTC) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    window: dict[str, Any] = {"since": since, "until": until}
    totals = await repository.revenue(session, group_by=[], **window)
    per_provider = await repository.revenue(session, group_by=["provider"], **window)
    per_course = await repository.revenue(session, group_by=["course_id"], **window)
    per_month = await repository.revenue(session, group_by=["month"], **window)
    course_ids = [row["course_id"] for row in per_course if row["course_id"] is not None]
    titles = {cid: c.title for cid, c in (await courses.get_courses(session, course_ids)).items()}
    return RevenueSummary(
        date_from=date_from,
        date_to=date_to,
        totals=[RevenueLine(**row) for row in totals],
        by_provider=[ProviderRevenue(**row) for row in per_provider],
        by_course=[
            CourseRevenue(**row, course_title=titles.get(row["course_id"])) for row in per_course
        ],
        by_month=[MonthRevenue(**row) for row in per_month],
    )
