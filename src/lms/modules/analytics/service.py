"""Analytics for the three tiers: a student's own progress, a course or an instructor's
courses (owner or admin), and the platform (admin).

The database does the counting (see ``repository``); this layer decides who may see
what, turns sums and counts into percentages and averages (``Decimal``, two places),
lays the time series out on a calendar and caches each result briefly.

Caching: every result is stored for ``LMS_ANALYTICS_CACHE_SECONDS`` (namespace
``analytics``) under a key naming the subject and the window, *after* the access check,
so a cached figure is only ever served to someone allowed to compute it. ``fresh=True``
skips the cached copy and stores the new one. Figures are therefore at most that many
seconds old; nothing else invalidates them.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar, get_args

from pydantic import BaseModel
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound, RuleViolation
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import (
    ActivityItem,
    CourseAnalytics,
    CourseCounts,
    CourseProgress,
    DropOffLesson,
    EnrollmentCounts,
    InstructorCourseRow,
    InstructorOverview,
    InstructorTotals,
    Interval,
    LessonStats,
    MoneyLine,
    MonthRevenue,
    ProviderRevenue,
    QuizScores,
    QuizStats,
    RevenueOverview,
    RoleCounts,
    ScoreBucket,
    StatusCounts,
    StudentDashboard,
    StudentProgress,
    SystemOverview,
    Trend,
    TrendPoint,
    TrendQuery,
    Window,
    to_cents,
)
from lms.modules.courses import service as courses
from lms.modules.users import service as users
from lms.modules.users.schemas import Role

CACHE_NAMESPACE = "analytics"
ACTIVE_DAYS = 30
RECENT_ACTIVITY_ITEMS = 10
POPULAR_LESSONS = 5
# The longest time series one request may ask for (two years of days).
MAX_WINDOW_DAYS = 731
COURSE_WINDOW: tuple[int, Interval] = (30, "day")
SYSTEM_WINDOW: tuple[int, Interval] = (365, "month")
STAFF_ROLES = ("instructor", "admin")

ModelT = TypeVar("ModelT", bound=BaseModel)


class InvalidWindow(RuleViolation):
    code = "invalid_window"


class InstructorNotFound(NotFound):
    code = "instructor_not_found"
    detail = "There is no instructor with this id."


# Arithmetic on figures the database computed


def percent(part: int | Decimal, whole: int | Decimal) -> Decimal:
    """``part`` of ``whole`` in percent, two places; 0 when there is no whole."""
    if not whole:
        return Decimal("0.00")
    return to_cents(Decimal(part) * 100 / Decimal(whole))


def mean(total: Any, count: int) -> Decimal | None:
    if not count:
        return None
    return to_cents(repository.as_decimal(total) / count)


def _money(rows: list[dict[str, Any]]) -> list[MoneyLine]:
    return [MoneyLine.model_validate(row) for row in rows]


# Time windows


def resolve_window(query: TrendQuery, *, default: tuple[int, Interval], today: date) -> Window:
    """The window asked for, with the endpoint's defaults for what is missing; 422 when
    ``from`` is after ``to`` or the window is longer than ``MAX_WINDOW_DAYS``."""
    days, interval = default
    date_to = query.date_to or today
    date_from = query.date_from or date_to - timedelta(days=days - 1)
    if date_from > date_to:
        raise InvalidWindow("`from` must not be after `to`.")
    if (date_to - date_from).days + 1 > MAX_WINDOW_DAYS:
        raise InvalidWindow(
            f"The window may cover at most {MAX_WINDOW_DAYS} days.", code="window_too_long"
        )
    return Window(date_from=date_from, date_to=date_to, interval=query.interval or interval)


def _period_of(day: date, interval: Interval) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day


def _next_period(start: date, interval: Interval) -> date:
    if interval == "day":
        return start + timedelta(days=1)
    if interval == "week":
        return start + timedelta(weeks=1)
    return (start.replace(day=28) + timedelta(days=4)).replace(day=1)


def _bounds(window: Window) -> tuple[datetime, datetime]:
    since = datetime.combine(window.date_from, time.min, UTC)
    until = datetime.combine(window.date_to + timedelta(days=1), time.min, UTC)
    return since, until


async def _trend(session: AsyncSession, *, course_id: uuid.UUID | None, window: Window) -> Trend:
    """Enrollments and completions per period; periods without any are listed with 0
    (the first and last period only count the days inside the window)."""
    since, until = _bounds(window)
    rows = await repository.enrollment_trend(
        session, course_id=course_id, since=since, until=until, interval=window.interval
    )
    counts: dict[tuple[date, str], int] = {
        (repository.as_date(row["period"]), row["kind"]): int(row["count"]) for row in rows
    }
    points = []
    start = _period_of(window.date_from, window.interval)
    while start <= window.date_to:
        points.append(
            TrendPoint(
                period_start=start,
                enrollments=counts.get((start, "enrolled"), 0),
                completions=counts.get((start, "completed"), 0),
            )
        )
        start = _next_period(start, window.interval)
    return Trend(
        interval=window.interval,
        date_from=window.date_from,
        date_to=window.date_to,
        points=points,
    )


# Caching


async def _cached(
    cache: Cache,
    settings: Settings,
    *,
    key: str,
    fresh: bool,
    model: type[ModelT],
    compute: Callable[[], Awaitable[ModelT]],
) -> ModelT:
    ttl = settings.analytics_cache_seconds
    if ttl and not fresh:
        hit = await cache.get(CACHE_NAMESPACE, key)
        if hit is not None:
            return model.model_validate(hit)
    result = await compute()
    if ttl:
        await cache.set(CACHE_NAMESPACE, key, result.model_dump(mode="json"), ttl=ttl)
    return result


# Student


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
        "average_progress": mean(row["progress_sum"], enrolled) or Decimal("0.00"),
        "quiz_attempts": int(row["attempts"]),
        "quizzes_passed": int(row["passed"]),
        "average_quiz_score": mean(row["score_sum"], graded),
        "best_quiz_score": (
            repository.as_decimal(row["best_score"]) if row["best_score"] is not None else None
        ),
        "certificates_earned": int(row["certificates"]),
        "generated_at": utcnow(),
    }


async def compute_student_dashboard(
    session: AsyncSession, *, student_id: uuid.UUID
) -> StudentDashboard:
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
    return await _cached(
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
    return await _cached(
        cache,
        settings,
        key=f"student-progress:{principal.id}",
        fresh=fresh,
        model=StudentProgress,
        compute=lambda: compute_student_progress(session, student_id=principal.id),
    )


# Course


def _lesson_stats(row: dict[str, Any], enrolled: int) -> LessonStats:
    return LessonStats(
        lesson_id=row["lesson_id"],
        title=row["title"],
        order_index=row["order_index"],
        lesson_type=row["lesson_type"],
        students_started=int(row["started"]),
        students_completed=int(row["completed"]),
        completion_rate=percent(int(row["completed"]), enrolled),
        popularity_rank=int(row["popularity_rank"]),
    )


def _drop_off(rows: list[dict[str, Any]]) -> DropOffLesson | None:
    for row in rows:
        if int(row["drop_rank"]) == 1 and int(row["lost"]) > 0:
            return DropOffLesson(
                lesson_id=row["lesson_id"],
                title=row["title"],
                order_index=row["order_index"],
                students_lost=int(row["lost"]),
                loss_rate=percent(int(row["lost"]), int(row["reached"])),
            )
    return None


def _quiz_scores(totals: dict[str, Any], per_quiz: list[dict[str, Any]]) -> QuizScores:
    graded = int(totals["graded"])
    return QuizScores(
        attempts=int(totals["attempts"]),
        graded_attempts=graded,
        average_score=mean(totals["score_sum"], graded),
        highest_score=(
            repository.as_decimal(totals["highest"]) if totals["highest"] is not None else None
        ),
        lowest_score=(
            repository.as_decimal(totals["lowest"]) if totals["lowest"] is not None else None
        ),
        pass_rate=percent(int(totals["passed"]), graded) if graded else None,
        distribution=[
            ScoreBucket(
                range=f"{lower}-{upper}",
                lower=lower,
                upper=upper,
                count=int(totals[f"bucket_{lower}"]),
            )
            for lower, upper in repository.SCORE_BUCKETS
        ],
        by_quiz=[
            QuizStats(
                quiz_id=row["quiz_id"],
                title=row["title"],
                attempts=int(row["attempts"]),
                graded_attempts=int(row["graded"]),
                average_score=mean(row["score_sum"], int(row["graded"])),
                pass_rate=(
                    percent(int(row["passed"]), int(row["graded"])) if row["graded"] else None
                ),
            )
            for row in per_quiz
        ],
    )


async def compute_course_analytics(
    session: AsyncSession, *, course: courses.Course, window: Window
) -> CourseAnalytics:
    active_since = utcnow() - timedelta(days=ACTIVE_DAYS)
    figures = await repository.course_enrollments(session, course.id, active_since=active_since)
    total = int(figures["enrollments"])
    lesson_rows = await repository.course_lessons(session, course.id, enrolled=total)
    score_totals = await repository.course_scores(session, course.id)
    per_quiz = await repository.course_quizzes(session, course.id)
    trend = await _trend(session, course_id=course.id, window=window)
    revenue = await repository.revenue(session, course_id=course.id)

    completed = int(figures["completed"])
    ratings = int(figures["ratings"])
    lessons = [_lesson_stats(row, total) for row in lesson_rows]
    return CourseAnalytics(
        course_id=course.id,
        title=course.title,
        is_published=course.is_published,
        total_enrollments=total,
        enrollments_by_status=StatusCounts(
            active=int(figures["active"]),
            completed=completed,
            dropped=int(figures["dropped"]),
            expired=int(figures["expired"]),
        ),
        active_students=int(figures["recent"]),
        completion_rate=percent(completed, total),
        average_rating=mean(figures["rating_sum"], ratings),
        ratings_count=ratings,
        average_progress=mean(figures["progress_sum"], total) or Decimal("0.00"),
        total_time_spent_seconds=int(figures["seconds"]),
        lesson_completion_rates={str(item.lesson_id): item.completion_rate for item in lessons},
        lessons=lessons,
        popular_lessons=sorted(
            (item for item in lessons if item.popularity_rank <= POPULAR_LESSONS),
            key=lambda item: item.popularity_rank,
        ),
        drop_off_lesson=_drop_off(lesson_rows),
        quiz_scores=_quiz_scores(score_totals, per_quiz),
        enrollment_trend=trend,
        revenue=_money(revenue),
        generated_at=utcnow(),
    )


async def course_analytics(
    session: AsyncSession,
    *,
    cache: Cache,
    settings: Settings,
    principal: Principal,
    course_id: uuid.UUID,
    query: TrendQuery,
    fresh: bool = False,
) -> CourseAnalytics:
    """A course's figures for its instructor or an admin: 404 for a course the caller
    cannot see (a draft of someone else), 403 for one they see but do not manage."""
    course = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    window = resolve_window(query, default=COURSE_WINDOW, today=utcnow().date())
    return await _cached(
        cache,
        settings,
        key=f"course:{course.id}:{window.date_from}:{window.date_to}:{window.interval}",
        fresh=fresh,
        model=CourseAnalytics,
        compute=lambda: compute_course_analytics(session, course=course, window=window),
    )


# Instructor


async def compute_instructor_overview(
    session: AsyncSession, *, instructor_id: uuid.UUID, instructor_name: str
) -> InstructorOverview:
    active_since = utcnow() - timedelta(days=ACTIVE_DAYS)
    course_rows = await repository.instructor_courses(
        session, instructor_id, active_since=active_since
    )
    scores = {
        row["course_id"]: row
        for row in await repository.instructor_course_scores(session, instructor_id)
    }
    revenue_rows = await repository.revenue(session, instructor_id=instructor_id, per_course=True)
    totals = await repository.instructor_totals(session, instructor_id, active_since=active_since)
    total_revenue = await repository.revenue(session, instructor_id=instructor_id)

    revenue_by_course: dict[uuid.UUID, list[dict[str, Any]]] = {}
    for row in revenue_rows:
        revenue_by_course.setdefault(row["course_id"], []).append(row)
    no_scores = {"attempts": 0, "graded": 0, "score_sum": None}

    rows = []
    for row in course_rows:
        score = scores.get(row["course_id"], no_scores)
        enrolled = int(row["enrollments"])
        rows.append(
            InstructorCourseRow(
                course_id=row["course_id"],
                title=row["title"],
                is_published=row["is_published"],
                total_enrollments=enrolled,
                active_students=int(row["recent"]),
                completed_enrollments=int(row["completed"]),
                completion_rate=percent(int(row["completed"]), enrolled),
                average_rating=mean(row["rating_sum"], int(row["ratings"])),
                ratings_count=int(row["ratings"]),
                average_progress=mean(row["progress_sum"], enrolled) or Decimal("0.00"),
                quiz_attempts=int(score["attempts"]),
                average_quiz_score=mean(score["score_sum"], int(score["graded"])),
                revenue=_money(revenue_by_course.get(row["course_id"], [])),
            )
        )
    enrolled = int(totals["enrollments"])
    return InstructorOverview(
        instructor_id=instructor_id,
        instructor_name=instructor_name,
        totals=InstructorTotals(
            total_courses=int(totals["courses"]),
            published_courses=int(totals["published"]),
            total_enrollments=enrolled,
            unique_students=int(totals["students"]),
            active_students=int(totals["recent"]),
            completed_enrollments=int(totals["completed"]),
            completion_rate=percent(int(totals["completed"]), enrolled),
            average_rating=mean(totals["rating_sum"], int(totals["ratings"])),
            ratings_count=int(totals["ratings"]),
            average_progress=mean(totals["progress_sum"], enrolled) or Decimal("0.00"),
            quiz_attempts=int(totals["attempts"]),
            average_quiz_score=mean(totals["score_sum"], int(totals["graded"])),
            revenue=_money(total_revenue),
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
    instructor = await users.get_user(session, instructor_id)
    if instructor is None or instructor.role not in STAFF_ROLES:
        raise InstructorNotFound()
    return await _cached(
        cache,
        settings,
        key=f"instructor:{instructor.id}",
        fresh=fresh,
        model=InstructorOverview,
        compute=lambda: compute_instructor_overview(
            session, instructor_id=instructor.id, instructor_name=instructor.full_name
        ),
    )


# System


async def compute_system_overview(session: AsyncSession, *, window: Window) -> SystemOverview:
    active_since = utcnow() - timedelta(days=ACTIVE_DAYS)
    await repository.without_jit(session)
    roles = {
        row["role"]: row
        for row in await repository.users_by_role(session, active_since=active_since)
    }
    course_counts = await repository.course_counts(session)
    statuses = {
        row["status"]: int(row["count"]) for row in await repository.enrollments_by_status(session)
    }
    trend = await _trend(session, course_id=None, window=window)
    since, until = _bounds(window)
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
        for role in get_args(Role)
    ]
    by_status = StatusCounts(**{name: statuses.get(name, 0) for name in StatusCounts.model_fields})
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
            totals=_money(revenue["total"]),
            by_provider=[ProviderRevenue.model_validate(row) for row in revenue["provider"]],
            by_month=[MonthRevenue.model_validate(row) for row in revenue["month"]],
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
    return await _cached(
        cache,
        settings,
        key=f"system:{window.date_from}:{window.date_to}:{window.interval}",
        fresh=fresh,
        model=SystemOverview,
        compute=lambda: compute_system_overview(session, window=window),
    )
