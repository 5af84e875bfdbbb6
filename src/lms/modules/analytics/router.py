"""Analytics: a student's own progress, a course's and an instructor's figures (owner or
admin) and the platform overview (admin). Every path of both seeds; aliases run the same
code. Results are cached for ``LMS_ANALYTICS_CACHE_SECONDS``; ``?fresh=true`` recomputes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query

from lms.core.deps import (
    AdminPrincipal,
    CacheDep,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
)
from lms.core.errors import problem_responses
from lms.core.routing import TransactionalRoute
from lms.modules.analytics import service
from lms.modules.analytics.schemas import (
    CourseAnalytics,
    InstructorOverview,
    StudentDashboard,
    StudentProgress,
    SystemOverview,
    TrendQuery,
)

router = APIRouter(
    prefix="/analytics",
    tags=["analytics"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)

Fresh = Annotated[
    bool,
    Query(description="Recompute now instead of serving the briefly cached figures"),
]
Window = Annotated[TrendQuery, Query()]


def _alias_of(path: str) -> str:
    return f"Alias of `GET /api/v1/analytics{path}`: the same operation."


@router.get("/my-progress", response_model=StudentProgress)
async def get_my_progress(
    principal: CurrentPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    fresh: Fresh = False,
) -> StudentProgress:
    """Your progress summary (courses enrolled, completed and in progress, lessons
    completed, time spent, average progress, quiz scores, certificates) and one line per
    enrolled course, most recently used first."""
    return await service.student_progress(
        session, cache=cache, settings=settings, principal=principal, fresh=fresh
    )


@router.get("/my-dashboard", response_model=StudentDashboard)
@router.get(
    "/student",
    response_model=StudentDashboard,
    name="get_my_dashboard_alias",
    description=_alias_of("/my-dashboard"),
)
async def get_my_dashboard(
    principal: CurrentPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    fresh: Fresh = False,
) -> StudentDashboard:
    """Your dashboard: the progress summary and your recent activity (lessons worked on
    and quiz attempts handed in, newest first)."""
    return await service.student_dashboard(
        session, cache=cache, settings=settings, principal=principal, fresh=fresh
    )


@router.get("/courses/{course_id}", response_model=CourseAnalytics)
@router.get(
    "/courses/{course_id}/analytics",
    response_model=CourseAnalytics,
    name="get_course_analytics_alias",
    description=_alias_of("/courses/{course_id}"),
)
async def get_course_analytics(
    course_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    window: Window,
    fresh: Fresh = False,
) -> CourseAnalytics:
    """A course's figures for its instructor or an admin: enrollments by status, active
    students (last 30 days), completion rate, rating, progress, per-lesson completion,
    popular lessons, the drop-off lesson, quiz score distribution, revenue, and the
    enrollment trend over `from`/`to` (default: the last 30 days) by `interval` (`day`,
    `week` or `month`; at most 731 days)."""
    return await service.course_analytics(
        session,
        cache=cache,
        settings=settings,
        principal=principal,
        course_id=course_id,
        query=window,
        fresh=fresh,
    )


@router.get("/instructors/{instructor_id}/overview", response_model=InstructorOverview)
async def get_instructor_overview(
    instructor_id: uuid.UUID,
    principal: StaffPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    fresh: Fresh = False,
) -> InstructorOverview:
    """An instructor's courses in one table with the course figures, the totals over all
    of them (distinct students) and the revenue of their courses: for that instructor or
    an admin."""
    return await service.instructor_overview(
        session,
        cache=cache,
        settings=settings,
        principal=principal,
        instructor_id=instructor_id,
        fresh=fresh,
    )


@router.get("/instructor", response_model=InstructorOverview)
async def get_my_instructor_overview(
    principal: StaffPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    fresh: Fresh = False,
) -> InstructorOverview:
    """Alias of `GET /api/v1/analytics/instructors/{instructor_id}/overview` for the
    caller's own courses (instructors and admins)."""
    return await service.instructor_overview(
        session,
        cache=cache,
        settings=settings,
        principal=principal,
        instructor_id=principal.id,
        fresh=fresh,
    )


@router.get("/system/overview", response_model=SystemOverview)
@router.get(
    "/system",
    response_model=SystemOverview,
    name="get_system_overview_alias",
    description=_alias_of("/system/overview"),
)
async def get_system_overview(
    principal: AdminPrincipal,
    session: SessionDep,
    cache: CacheDep,
    settings: SettingsDep,
    window: Window,
    fresh: Fresh = False,
) -> SystemOverview:
    """Platform figures (admin): users by role (total, active in the last 30 days,
    deactivated), courses by status, enrollments by status, enrollments and completions
    over `from`/`to` (default: the last 365 days by month), and revenue (succeeded
    payments net of refunds) by currency, provider and month."""
    return await service.system_overview(
        session,
        cache=cache,
        settings=settings,
        principal=principal,
        query=window,
        fresh=fresh,
    )


routers = [router]
