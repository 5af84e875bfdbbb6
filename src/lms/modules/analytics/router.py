"""Analytics: a student's own progress, a course's and an instructor's figures (owner or
admin) and the platform overview (admin). Every path of both seeds; aliases run the same
code. Results are cached for ``LMS_ANALYTICS_CACHE_SECONDS``; ``?fresh=true`` recomputes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from lms.core.deps import (
    AdminPrincipal,
    CacheDep,
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    StaffPrincipal,
)
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination
from lms.core.routing import TransactionalRoute
from lms.modules.analytics import service
from lms.modules.analytics.schemas import (
    CourseAnalytics,
    InstructorOverview,
    RosterEntry,
    RosterSort,
    RosterStatus,
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


roster_router = APIRouter(
    prefix="/courses/{course_id}/students",
    tags=["enrollments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)

CSV_MEDIA_TYPE = "text/csv"


@roster_router.get(
    "",
    response_model=Page[RosterEntry],
    responses={200: {"content": {CSV_MEDIA_TYPE: {}}, "description": "JSON page, or CSV"}},
)
async def course_students(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
    pagination: Pagination,
    cohort_id: uuid.UUID | None = None,
    status: RosterStatus | None = None,
    search: Annotated[
        str | None, Query(max_length=100, description="Words of the name or email")
    ] = None,
    sort: Annotated[
        RosterSort, Query(description="A column, `-` first for descending")
    ] = "full_name",
    format: Annotated[
        Literal["json", "csv"] | None, Query(description="`csv`: the same as Accept: text/csv")
    ] = None,
) -> Page[RosterEntry] | Response:
    """The course's students for its staff (owner, co-instructors, assistants, admins;
    an assistant of some cohorts sees their students only): status, cohort, progress,
    last activity and quiz average, filtered by `cohort_id`, `status` or `search`,
    sorted by `sort`, paginated. With `Accept: text/csv` or `?format=csv`, every
    matching student as CSV (UTF-8 with BOM), streamed; pagination is then ignored."""
    filters = await service.roster_filter(
        session,
        principal=principal,
        course_id=course_id,
        cohort_id=cohort_id,
        status=status,
        search=search,
        sort=sort,
    )
    wants_csv = format == "csv" or (
        format is None and CSV_MEDIA_TYPE in request.headers.get("accept", "")
    )
    if wants_csv:
        return StreamingResponse(
            service.roster_csv(request.app.state.sessionmaker, filters),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="students-{course_id}.csv"'},
        )
    return await service.roster_page(session, filters=filters, page=pagination)


routers = [router, roster_router]
