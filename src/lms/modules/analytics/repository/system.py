"""Platform-wide counts: users by role, courses, enrollments by status."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import (
    count_of,
    course_figures,
    fetch_all,
    fetch_one,
)
from lms.modules.enrollments.models import Enrollment
from lms.modules.users.models import User


async def users_by_role(session: AsyncSession, *, active_since: datetime) -> list[dict[str, Any]]:
    """Per role: accounts, accounts signed in since ``active_since``, deactivated ones."""
    stmt = (
        select(
            User.role,
            func.count(User.role).label("total"),
            count_of(
                and_(User.is_active.is_(True), User.last_login_at >= active_since), User.role
            ).label("active"),
            count_of(User.is_active.is_(False), User.role).label("deactivated"),
        )
        .group_by(User.role)
        .order_by(User.role)
    )
    return await fetch_all(session, stmt)


async def course_counts(session: AsyncSession) -> dict[str, Any]:
    """Every course (``total``) and the published ones."""
    return await fetch_one(session, select(*course_figures(total="total")))


async def enrollments_by_status(session: AsyncSession) -> list[dict[str, Any]]:
    """The number of enrollments in each status (only the statuses that occur)."""
    stmt = (
        select(Enrollment.status, func.count().label("count"))
        .group_by(Enrollment.status)
        .order_by(Enrollment.status)
    )
    return await fetch_all(session, stmt)
