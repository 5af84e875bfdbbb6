"""The platform overview for admins: users by role, courses, enrollments by status, the
enrollment trend and revenue by currency, provider and month."""

from __future__ import annotations

from typing import Any, get_args

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Forbidden
from lms.modules import users
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import (
    CourseCounts,
    EnrollmentCounts,
    EnrollmentStatusCounts,
    ProviderRevenue,
    RevenueByMonth,
    RevenueOverview,
    RoleCounts,
    SystemOverview,
    TrendQuery,
    Window,
)
from lms.modules.analytics.service.caching import cached
from lms.modules.analytics.service.figures import active_since, money_lines, percent
from lms.modules.analytics.service.trends import (
    SYSTEM_WINDOW,
    enrollment_trend,
    resolve_window,
    window_bounds,
)


async def compute_system_overview(session: AsyncSession, *, window: Window) -> SystemOverview:
    """The platform's figures over ``window``, uncached and without an access check."""
    since_active = active_since()
    await repository.without_jit(session)
    roles = {
        row["role"]: row
        for row in await repository.users_by_role(session, active_since=since_active)
    }
    course_counts = await repository.course_counts(session)
    statuses = {
        row["status"]: int(row["count"]) for row in await repository.enrollments_by_status(session)
    }
    trend = await enrollment_trend(session, course_id=None, window=window)
    since, until = window_bounds(window)
    revenue: dict[str, list[dict[str, Any]]] = {"total": [], "provider": [], "month": []}
    for row in await repository.revenue_overview(session, since=since, until=until):
        if row["month"] is not None:
            row["month"] = f"{repository.as_date(row['month']):%Y-%m}"
        revenue[row["level"]].append(row)

    by_role = [
        RoleCounts(
            role=role,
            total=int(roles[role]["total"]) if role in roles else 0,
            active=int(roles[role]["active"]) if role in roles else 0,
            deactivated=int(roles[role]["deactivated"]) if role in roles else 0,
        )
        for role in get_args(users.Role)
    ]
    by_status = EnrollmentStatusCounts(
        **{name: statuses.get(name, 0) for name in EnrollmentStatusCounts.model_fields}
    )
    enrollments = sum(statuses.values())
    published = int(course_counts["published"])
    return SystemOverview(
        total_users=sum(item.total for item in by_role),
        active_users=sum(item.active for item in by_role),
        users_by_role=by_role,
        courses=CourseCounts(
            total=int(course_counts["total"]),
            published=published,
            draft=int(course_counts["total"]) - published,
        ),
        enrollments=EnrollmentCounts(
            total=enrollments,
            by_status=by_status,
            completion_rate=percent(by_status.completed, enrollments),
        ),
        activity_trend=trend,
        revenue=RevenueOverview(
            totals=money_lines(revenue["total"]),
            by_provider=[ProviderRevenue.model_validate(row) for row in revenue["provider"]],
            by_month=[RevenueByMonth.model_validate(row) for row in revenue["month"]],
        ),
        generated_at=utcnow(),
    )


async def system_overview(
    session: AsyncSession,
    *,
    cache: Cache,
    settings: Settings,
    principal: Principal,
    query: TrendQuery,
    fresh: bool = False,
) -> SystemOverview:
    """Platform-wide figures (admins; the router requires the role)."""
    if not principal.is_admin:
        raise Forbidden("This requires the role admin.", code="role_required")
    window = resolve_window(query, default=SYSTEM_WINDOW, today=utcnow().date())
    return await cached(
        cache,
        settings,
        key=f"system:{window.date_from}:{window.date_to}:{window.interval}",
        fresh=fresh,
        model=SystemOverview,
        compute=lambda: compute_system_overview(session, window=window),
    )
