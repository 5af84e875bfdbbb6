"""A course's analytics for its instructor or an admin: enrollments, lessons (completion,
popularity, drop-off), quiz scores, the enrollment trend and revenue."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.modules import courses
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import (
    CourseAnalytics,
    DropOffLesson,
    EnrollmentStatusCounts,
    LessonStats,
    QuizScores,
    QuizStats,
    ScoreBucket,
    TrendQuery,
    Window,
)
from lms.modules.analytics.service.caching import cached
from lms.modules.analytics.service.figures import (
    active_since,
    mean,
    mean_or_zero,
    money_lines,
    optional_decimal,
    percent,
)
from lms.modules.analytics.service.trends import COURSE_WINDOW, enrollment_trend, resolve_window

POPULAR_LESSONS = 5


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


def _pass_rate(row: dict[str, Any]) -> Decimal | None:
    """Passes among the graded attempts; None when none is graded."""
    graded = int(row["graded"])
    return percent(int(row["passed"]), graded) if graded else None


def _quiz_scores(totals: dict[str, Any], per_quiz: list[dict[str, Any]]) -> QuizScores:
    graded = int(totals["graded"])
    return QuizScores(
        attempts=int(totals["attempts"]),
        graded_attempts=graded,
        average_score=mean(totals["score_sum"], graded),
        highest_score=optional_decimal(totals["highest"]),
        lowest_score=optional_decimal(totals["lowest"]),
        pass_rate=_pass_rate(totals),
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
                pass_rate=_pass_rate(row),
            )
            for row in per_quiz
        ],
    )


async def compute_course_analytics(
    session: AsyncSession,
    *,
    course: courses.CourseSummary,
    window: Window,
    cohorts: Collection[uuid.UUID] | None = None,
) -> CourseAnalytics:
    """The figures of one course over ``window``, uncached and without an access check;
    with ``cohorts``, every figure counts the students of those cohorts only (their
    enrollments, progress, attempts and payments)."""
    figures = await repository.course_enrollments(
        session, course.id, active_since=active_since(), cohorts=cohorts
    )
    total = int(figures["enrollments"])
    lesson_rows = await repository.course_lessons(
        session, course.id, enrolled=total, cohorts=cohorts
    )
    score_totals = await repository.course_scores(session, course.id, cohorts=cohorts)
    per_quiz = await repository.course_quizzes(session, course.id, cohorts=cohorts)
    trend = await enrollment_trend(session, course_id=course.id, window=window, cohorts=cohorts)
    revenue = await repository.revenue(session, course_id=course.id, cohorts=cohorts)

    completed = int(figures["completed"])
    ratings = int(figures["ratings"])
    lessons = [_lesson_stats(row, total) for row in lesson_rows]
    return CourseAnalytics(
        course_id=course.id,
        title=course.title,
        is_published=course.is_published,
        cohort_ids=sorted(cohorts) if cohorts is not None else None,
        total_enrollments=total,
        enrollments_by_status=EnrollmentStatusCounts(
            active=int(figures["active"]),
            completed=completed,
            dropped=int(figures["dropped"]),
            expired=int(figures["expired"]),
        ),
        active_students=int(figures["recent"]),
        completion_rate=percent(completed, total),
        average_rating=mean(figures["rating_sum"], ratings),
        ratings_count=ratings,
        average_progress=mean_or_zero(figures["progress_sum"], total),
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
        revenue=money_lines(revenue),
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
    """A course's figures for its team (``CoursePolicy.read_roster``) or an admin: 404
    for a course the caller cannot see (a draft of someone else), 403 for one they see
    but are not on the team of. An assistant of some cohorts gets the figures of those
    cohorts' students only."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    course = access.course
    cohorts = access.within_cohorts
    scope = ",".join(sorted(str(c) for c in cohorts)) if cohorts is not None else "all"
    window = resolve_window(query, default=COURSE_WINDOW, today=utcnow().date())
    return await cached(
        cache,
        settings,
        key=f"course:{course.id}:{scope}:{window.date_from}:{window.date_to}:{window.interval}",
        fresh=fresh,
        model=CourseAnalytics,
        compute=lambda: compute_course_analytics(
            session, course=course, window=window, cohorts=cohorts
        ),
    )
