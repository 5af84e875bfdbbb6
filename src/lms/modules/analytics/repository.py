"""Reporting queries over the other modules' tables.

This is the one place outside a module that reads its tables: analytics only reads
(never writes) and aggregates across modules, which their services cannot do without
loading rows into Python. Every figure is an aggregate computed by the database (COUNT /
SUM with FILTER, GROUP BY, window functions), one round trip per group of figures. The
same statements run on SQLite and PostgreSQL, except for date truncation (``date_trunc``
against SQLite's date functions), the score bucket (``floor`` against an integer cast)
and the daily counts of a trend (PostgreSQL counts each day of a ``generate_series`` in
an index; SQLite groups the rows by day). Both give the same figures (the exact-figure
tests run on both databases).

Sums of NUMERIC columns come back as ``Decimal`` from PostgreSQL and as ``float`` from
SQLite; ``as_decimal`` brings both to the same exact value.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    DateTime,
    Integer,
    Numeric,
    Select,
    String,
    Uuid,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Executable

# The reporting indexes these queries rely on (declared on the tables they index).
from lms.modules.analytics.models import REPORTING_INDEXES  # noqa: F401
from lms.modules.certificates.models import Certificate
from lms.modules.courses.models import Course, Lesson
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.payments.models import Payment
from lms.modules.quizzes.models import Quiz, QuizAttempt
from lms.modules.users.models import User

# Attempts a student has handed in: graded, or waiting for a grader (no score yet).
FINISHED_ATTEMPTS = ("submitted", "graded")
STARTED_PROGRESS = ("in_progress", "completed")
# Payments whose money was collected; refunds are subtracted through ``refunded_amount``.
COLLECTED_PAYMENTS = ("succeeded", "refunded")
SCORE_BUCKETS = tuple((lower, lower + 10) for lower in range(0, 100, 10))
CENT = Decimal("0.01")


def as_decimal(value: Any) -> Decimal:
    """An exact Decimal of a sum of two-place NUMERIC values (SQLite returns a float)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value))).quantize(CENT)


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _count(condition: ColumnElement[bool] | None = None, column: Any = None) -> Any:
    """COUNT(column) [FILTER (WHERE condition)]. The column counted is a non-null one
    of the reporting index (never ``id``), so that an index-only scan can answer."""
    counted = func.count(column) if column is not None else func.count()
    return counted.filter(condition) if condition is not None else counted


def utc_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp (a cheap cast, done once per row)."""
    if _dialect(session) == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)  # SQLite stores UTC timestamps as naive ISO text


def period_of_day(session: AsyncSession, day: Any, interval: str) -> ColumnElement[Any]:
    """The day itself, the Monday of its ISO week or the first of its month."""
    if interval == "day":
        return day
    if _dialect(session) == "postgresql":
        # One of two fixed words (never user text), inlined so that the SELECT and the
        # GROUP BY expressions are identical.
        unit: ColumnElement[str] = literal_column(f"'{interval}'")
        # A timestamp without time zone: truncating a date would go through the
        # session's time zone (date → timestamptz).
        return func.date_trunc(unit, cast(day, DateTime))
    if interval == "week":
        return func.date(day, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.strftime(literal_column("'%Y-%m-01'"), day)


def as_date(value: Any) -> date:
    """A period start as returned by either database (timestamp, date or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


async def without_jit(session: AsyncSession) -> None:
    """Turn PostgreSQL's JIT compilation off for the rest of the transaction.

    The platform-wide statements are estimated above ``jit_above_cost``, yet they are
    index scans and small aggregates that gain nothing from compiled expressions: JIT
    only adds its compile time (15-40 ms measured per statement on the benchmark)."""
    if _dialect(session) == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))


async def _one(session: AsyncSession, stmt: Executable) -> dict[str, Any]:
    return dict((await session.execute(stmt)).mappings().one())


async def _all(session: AsyncSession, stmt: Executable) -> list[dict[str, Any]]:
    return [dict(row) for row in (await session.execute(stmt)).mappings().all()]


def _enrollment_figures(active_since: datetime) -> list[Any]:
    """Per group of enrollments: how many, recently active, completed, progress, ratings."""
    return [
        _count(column=Enrollment.status).label("enrollments"),
        _count(Enrollment.last_accessed_at >= active_since, Enrollment.status).label("recent"),
        _count(Enrollment.status == "completed", Enrollment.status).label("completed"),
        func.sum(Enrollment.progress_percentage).label("progress_sum"),
        func.count(Enrollment.rating).label("ratings"),
        func.coalesce(func.sum(Enrollment.rating), 0).label("rating_sum"),
    ]


def _score_figures() -> list[Any]:
    """Per group of finished attempts: how many, how many graded, their percentages."""
    return [
        func.count(QuizAttempt.status).label("attempts"),
        func.count(QuizAttempt.percentage).label("graded"),
        func.sum(QuizAttempt.percentage).label("score_sum"),
    ]


# Student


async def student_summary(session: AsyncSession, student_id: uuid.UUID) -> dict[str, Any]:
    """Enrollment, quiz and certificate figures of one student, in one query."""
    enrollments = (
        select(
            func.count(Enrollment.status).label("enrolled"),
            _count(Enrollment.status == "completed", Enrollment.status).label("completed"),
            _count(Enrollment.status == "active", Enrollment.status).label("in_progress"),
            func.coalesce(func.sum(Enrollment.completed_lessons_count), 0).label("lessons"),
            func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("seconds"),
            func.sum(Enrollment.progress_percentage).label("progress_sum"),
        )
        .where(Enrollment.student_id == student_id)
        .subquery("e")
    )
    attempts = (
        select(
            *_score_figures(),
            func.max(QuizAttempt.percentage).label("best_score"),
            _count(QuizAttempt.is_passed.is_(True), QuizAttempt.status).label("passed"),
        )
        .where(QuizAttempt.student_id == student_id, QuizAttempt.status.in_(FINISHED_ATTEMPTS))
        .subquery("a")
    )
    certificates = (
        select(func.count(Certificate.id).label("certificates"))
        .where(Certificate.student_id == student_id, Certificate.is_revoked.is_(False))
        .subquery("c")
    )
    stmt = (
        select(enrollments, attempts, certificates)
        .select_from(enrollments)
        .join(attempts, true())
        .join(certificates, true())
    )
    return await _one(session, stmt)


async def student_recent_activity(
    session: AsyncSession, student_id: uuid.UUID, *, limit: int
) -> list[dict[str, Any]]:
    """The student's latest lesson progress and finished quiz attempts, newest first."""
    lesson_at = func.coalesce(
        LessonProgress.completed_at, LessonProgress.updated_at, LessonProgress.started_at
    )
    lessons = (
        select(
            literal_column("'lesson'").label("kind"),
            lesson_at.label("at"),
            Enrollment.course_id.label("course_id"),
            Course.title.label("course_title"),
            LessonProgress.lesson_id.label("lesson_id"),
            Lesson.title.label("lesson_title"),
            cast(null(), Uuid).label("quiz_id"),
            cast(null(), Course.title.type).label("quiz_title"),
            LessonProgress.status.label("status"),
            cast(null(), QuizAttempt.percentage.type).label("score"),
        )
        .select_from(LessonProgress)
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.student_id == student_id,
            LessonProgress.status != "not_started",
            lesson_at.is_not(None),
        )
    )
    attempts = (
        select(
            literal_column("'quiz_attempt'").label("kind"),
            func.coalesce(QuizAttempt.graded_at, QuizAttempt.submitted_at).label("at"),
            Quiz.course_id.label("course_id"),
            Course.title.label("course_title"),
            Quiz.lesson_id.label("lesson_id"),
            cast(null(), Course.title.type).label("lesson_title"),
            Quiz.id.label("quiz_id"),
            Quiz.title.label("quiz_title"),
            QuizAttempt.status.label("status"),
            QuizAttempt.percentage.label("score"),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(
            QuizAttempt.student_id == student_id,
            QuizAttempt.status.in_(FINISHED_ATTEMPTS),
        )
    )
    activity = union_all(lessons, attempts).subquery("activity")
    stmt = select(activity).order_by(activity.c.at.desc(), activity.c.kind).limit(limit)
    return await _all(session, stmt)


async def student_courses(session: AsyncSession, student_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every enrollment of the student with its course title, most recently used first."""
    stmt = (
        select(
            Enrollment.id.label("enrollment_id"),
            Enrollment.course_id,
            Course.title.label("course_title"),
            Enrollment.status,
            Enrollment.progress_percentage,
            Enrollment.completed_lessons_count,
            Enrollment.total_lessons_count,
            Enrollment.total_time_spent_seconds,
            Enrollment.enrolled_at,
            Enrollment.last_accessed_at,
            Enrollment.completed_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.student_id == student_id)
        .order_by(
            func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at).desc(),
            Enrollment.id,
        )
    )
    return await _all(session, stmt)


# Course


async def course_enrollments(
    session: AsyncSession, course_id: uuid.UUID, *, active_since: datetime
) -> dict[str, Any]:
    """Counts by status, recent activity, progress, ratings and time of one course."""
    stmt = select(
        *_enrollment_figures(active_since),
        _count(Enrollment.status == "active", Enrollment.status).label("active"),
        _count(Enrollment.status == "dropped", Enrollment.status).label("dropped"),
        _count(Enrollment.status == "expired", Enrollment.status).label("expired"),
        func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("seconds"),
    ).where(Enrollment.course_id == course_id)
    return await _one(session, stmt)


async def course_lessons(
    session: AsyncSession, course_id: uuid.UUID, *, enrolled: int
) -> list[dict[str, Any]]:
    """Per lesson in course order: students who started and who completed it, its
    popularity rank (most starts, then most completions), the completions of the step
    before it (``reached``; ``enrolled`` for the first lesson) and its rank by students
    lost (``drop_rank`` 1 = the drop-off lesson).

    Started means in progress or completed (``STARTED_PROGRESS``): each lesson's two
    counts are ranges of ``ix_lesson_progress_lesson_report`` alone, so the rows of
    lessons nobody opened are never read and each started row is read once."""

    def progress_count(status: str) -> ColumnElement[int]:
        # A correlated count(*) per lesson and status: a range of the index, counted
        # without evaluating anything per row (no FILTER, no hashing of the groups).
        return (
            select(func.count())
            .where(LessonProgress.lesson_id == Lesson.id, LessonProgress.status == status)
            .correlate(Lesson)
            .scalar_subquery()
        )

    counts = (
        select(
            Lesson.id.label("lesson_id"),
            Lesson.title,
            Lesson.order_index,
            Lesson.lesson_type,
            Lesson.created_at,
            progress_count("in_progress").label("in_progress"),
            progress_count("completed").label("completed"),
        )
        .where(Lesson.course_id == course_id)
        # Materialized: PostgreSQL would otherwise inline the counts into every
        # expression that uses them and run each count three or four times.
        .cte("counts")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    per_lesson = select(
        counts.c.lesson_id,
        counts.c.title,
        counts.c.order_index,
        counts.c.lesson_type,
        counts.c.created_at,
        (counts.c.in_progress + counts.c.completed).label("started"),
        counts.c.completed,
    ).subquery("per_lesson")
    course_order = (per_lesson.c.order_index, per_lesson.c.created_at, per_lesson.c.lesson_id)
    ranked = select(
        per_lesson,
        func.row_number().over(order_by=course_order).label("position"),
        func.row_number()
        .over(order_by=(per_lesson.c.started.desc(), per_lesson.c.completed.desc(), *course_order))
        .label("popularity_rank"),
        func.lag(per_lesson.c.completed, literal_column("1"), literal(enrolled, BigInteger))
        .over(order_by=course_order)
        .label("reached"),
    ).subquery("ranked")
    lost = ranked.c.reached - ranked.c.completed
    stmt = select(
        ranked,
        lost.label("lost"),
        func.row_number().over(order_by=(lost.desc(), ranked.c.position)).label("drop_rank"),
    ).order_by(ranked.c.position)
    return await _all(session, stmt)


def score_bucket(session: AsyncSession, percentage: Any) -> ColumnElement[Any]:
    """The ten-point bucket of a percentage: its tens digit, 0-9 (100 falls in 9)."""
    # Inlined constants, so that the SELECT and the GROUP BY expressions are identical.
    ten: ColumnElement[int] = literal_column("10")
    nine: ColumnElement[int] = literal_column("9")
    if _dialect(session) == "postgresql":
        return func.least(func.floor(percentage / ten), nine)
    # SQLite: a non-negative number cast to INTEGER is truncated, i.e. floored.
    return func.min(cast(percentage / ten, Integer), nine)


async def course_scores(session: AsyncSession, course_id: uuid.UUID) -> dict[str, Any]:
    """The finished attempts at the course's quizzes: counts, average, extremes, passes
    and the number of graded percentages in each ten-point bucket (90-100 includes 100).

    The attempts are grouped by bucket once (one expression per row, instead of a range
    test per bucket and row) and the few groups summed into one row."""
    pct = QuizAttempt.percentage
    bucket = score_bucket(session, pct)
    groups = (
        select(
            bucket.label("bucket"),
            *_score_figures(),
            func.max(pct).label("highest"),
            func.min(pct).label("lowest"),
            _count(QuizAttempt.is_passed.is_(True), QuizAttempt.status).label("passed"),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .where(Quiz.course_id == course_id, QuizAttempt.status.in_(FINISHED_ATTEMPTS))
        .group_by(bucket)
        .subquery("buckets")
    )
    buckets = [
        func.coalesce(func.sum(groups.c.graded).filter(groups.c.bucket == lower // 10), 0).label(
            f"bucket_{lower}"
        )
        for lower, _upper in SCORE_BUCKETS
    ]
    stmt = select(
        func.coalesce(func.sum(groups.c.attempts), 0).label("attempts"),
        func.coalesce(func.sum(groups.c.graded), 0).label("graded"),
        func.sum(groups.c.score_sum).label("score_sum"),
        func.max(groups.c.highest).label("highest"),
        func.min(groups.c.lowest).label("lowest"),
        func.coalesce(func.sum(groups.c.passed), 0).label("passed"),
        *buckets,
    )
    return await _one(session, stmt)


async def course_quizzes(session: AsyncSession, course_id: uuid.UUID) -> list[dict[str, Any]]:
    """Per quiz of the course: finished attempts, graded ones, their sum and passes."""
    finished = and_(QuizAttempt.quiz_id == Quiz.id, QuizAttempt.status.in_(FINISHED_ATTEMPTS))
    stmt = (
        select(
            Quiz.id.label("quiz_id"),
            Quiz.title,
            *_score_figures(),
            _count(QuizAttempt.is_passed.is_(True), QuizAttempt.status).label("passed"),
        )
        .select_from(Quiz)
        .outerjoin(QuizAttempt, finished)
        .where(Quiz.course_id == course_id)
        .group_by(Quiz.id, Quiz.title, Quiz.created_at)
        .order_by(Quiz.created_at, Quiz.id)
    )
    return await _all(session, stmt)


def _trend_conditions(course_id: uuid.UUID | None) -> list[Any]:
    return [Enrollment.course_id == course_id] if course_id is not None else []


def _days_grouped(
    session: AsyncSession,
    column: Any,
    *,
    course_id: uuid.UUID | None,
    since: datetime,
    until: datetime,
) -> Select[Any]:
    """(day, count) of the days in [since, until) with at least one row: the rows in
    the window grouped by their UTC day (a cast per row). The portable form."""
    day = utc_day(session, column)
    return (
        select(day.label("day"), func.count().label("count"))
        .where(column >= since, column < until, *_trend_conditions(course_id))
        .group_by(day)
    )


def _days_counted(
    session: AsyncSession,
    column: Any,
    *,
    course_id: uuid.UUID | None,
    since: datetime,
    until: datetime,
) -> Select[Any]:
    """(day, count) of every UTC day in [since, until), zero days included (PostgreSQL).

    Each day is a ``count(*)`` of one range of an index on the timestamp (the course's
    own index when ``course_id`` is given): nothing is computed or hashed per row, which
    makes a two-year daily trend of the whole platform about three times as fast as
    grouping the rows by day. The days step by 24 hours from a UTC midnight (not by
    ``1 day``, which follows the session's time zone across daylight-saving changes)."""
    step: ColumnElement[Any] = literal_column("interval '24 hours'")
    first = literal(since, DateTime(timezone=True))
    last = literal(until, DateTime(timezone=True)) - step
    days = func.generate_series(first, last, step).table_valued("start").render_derived("days")
    count = (
        select(func.count())
        .where(
            *_trend_conditions(course_id),
            column >= days.c.start,
            column < days.c.start + step,
        )
        .scalar_subquery()
    )
    return select(utc_day(session, days.c.start).label("day"), count.label("count")).select_from(
        days
    )


async def enrollment_trend(
    session: AsyncSession,
    *,
    course_id: uuid.UUID | None,
    since: datetime,
    until: datetime,
    interval: str,
) -> list[dict[str, Any]]:
    """Enrollments (by ``enrolled_at``) and completions (by ``completed_at``) per period
    in [since, until), for one course or all: rows of (period, kind, count)."""

    def per_period(column: Any, kind: str) -> Select[Any]:
        days = (_days_counted if _dialect(session) == "postgresql" else _days_grouped)(
            session, column, course_id=course_id, since=since, until=until
        ).subquery(f"{kind}_days")
        # Days first, then the few days folded into weeks or months: far cheaper than
        # truncating every row's timestamp.
        period = period_of_day(session, days.c.day, interval)
        return select(
            period.label("period"),
            literal_column(f"'{kind}'").label("kind"),
            func.sum(days.c.count).label("count"),
        ).group_by(period)

    stmt = union_all(
        per_period(Enrollment.enrolled_at, "enrolled"),
        per_period(Enrollment.completed_at, "completed"),
    )
    return await _all(session, stmt)


# Instructor


async def instructor_courses(
    session: AsyncSession, instructor_id: uuid.UUID, *, active_since: datetime
) -> list[dict[str, Any]]:
    """One row per course of the instructor with its enrollment figures."""
    stmt = (
        select(
            Course.id.label("course_id"),
            Course.title,
            Course.is_published,
            *_enrollment_figures(active_since),
        )
        .select_from(Course)
        .outerjoin(Enrollment, Enrollment.course_id == Course.id)
        .where(Course.instructor_id == instructor_id)
        .group_by(Course.id, Course.title, Course.is_published, Course.created_at)
        .order_by(Course.created_at, Course.id)
    )
    return await _all(session, stmt)


async def instructor_course_scores(
    session: AsyncSession, instructor_id: uuid.UUID
) -> list[dict[str, Any]]:
    """Per course of the instructor: finished quiz attempts and their percentages."""
    stmt = (
        select(Quiz.course_id, *_score_figures())
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(
            Course.instructor_id == instructor_id,
            QuizAttempt.status.in_(FINISHED_ATTEMPTS),
        )
        .group_by(Quiz.course_id)
    )
    return await _all(session, stmt)


async def instructor_totals(
    session: AsyncSession, instructor_id: uuid.UUID, *, active_since: datetime
) -> dict[str, Any]:
    """The instructor's figures over all their courses at once (distinct students, not a
    sum of per-course counts), in one query."""
    courses = (
        select(
            func.count(Course.id).label("courses"),
            _count(Course.is_published.is_(True), Course.id).label("published"),
        )
        .where(Course.instructor_id == instructor_id)
        .subquery("c")
    )
    enrollments = (
        select(
            *_enrollment_figures(active_since),
            func.count(Enrollment.student_id.distinct()).label("students"),
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Course.instructor_id == instructor_id)
        .subquery("e")
    )
    attempts = (
        select(*_score_figures())
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(
            Course.instructor_id == instructor_id,
            QuizAttempt.status.in_(FINISHED_ATTEMPTS),
        )
        .subquery("a")
    )
    stmt = (
        select(courses, enrollments, attempts)
        .select_from(courses)
        .join(enrollments, true())
        .join(attempts, true())
    )
    return await _one(session, stmt)


# Revenue


async def revenue(
    session: AsyncSession,
    *,
    course_id: uuid.UUID | None = None,
    instructor_id: uuid.UUID | None = None,
    per_course: bool = False,
) -> list[dict[str, Any]]:
    """Collected money per currency (and per course with ``per_course``) of one course
    or of one instructor's courses: payments, gross, refunded and net, summed in SQL."""
    money = Numeric(14, 2)
    gross = func.coalesce(func.sum(Payment.amount), 0).cast(money)
    refunded = func.coalesce(func.sum(Payment.refunded_amount), 0).cast(money)
    groups = [Payment.course_id.label("course_id")] if per_course else []
    stmt = select(
        *groups,
        Payment.currency.label("currency"),
        func.count(Payment.status).label("payments"),
        gross.label("gross"),
        refunded.label("refunded"),
        (gross - refunded).label("net"),
    ).where(Payment.status.in_(COLLECTED_PAYMENTS))
    if course_id is not None:
        stmt = stmt.where(Payment.course_id == course_id)
    if instructor_id is not None:
        stmt = stmt.join(Course, Course.id == Payment.course_id).where(
            Course.instructor_id == instructor_id
        )
    stmt = stmt.group_by(*groups, Payment.currency).order_by(*groups, Payment.currency)
    return await _all(session, stmt)


async def revenue_overview(
    session: AsyncSession, *, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """Collected money in one scan of the payments: per currency (``level`` "total"),
    per provider and currency ("provider"), both all time, and per month, provider and
    currency for payments made in [since, until) ("month", whose ``month`` is the first
    day of the month). A portable ROLLUP: the grouped rows are built once (a CTE) and
    summed at each level.

    The payments are grouped by UTC day first (one cast per row, and the window test is
    done on the days, not on every payment); the few thousand days are then folded into
    months."""
    paid_day = utc_day(session, func.coalesce(Payment.processed_at, Payment.created_at))
    days = (
        select(
            paid_day.label("day"),
            Payment.provider.label("provider"),
            Payment.currency.label("currency"),
            func.count(Payment.status).label("payments"),
            func.sum(Payment.amount).label("gross"),
            func.sum(Payment.refunded_amount).label("refunded"),
        )
        .where(Payment.status.in_(COLLECTED_PAYMENTS))
        .group_by(paid_day, Payment.provider, Payment.currency)
        .subquery("days")
    )
    # Grouped by the month's first day (cheaper than formatting text); "YYYY-MM" is
    # formatted on the few grouped rows by the caller (``as_date``). The window's bounds
    # are UTC midnights, so a payment is inside it exactly when its UTC day is.
    month = period_of_day(session, days.c.day, "month")
    first_day, end_day = literal(since.date(), Date), literal(until.date(), Date)
    in_window = case((and_(days.c.day >= first_day, days.c.day < end_day), 1), else_=0)
    grouped = (
        select(
            month.label("month"),
            days.c.provider,
            days.c.currency,
            in_window.label("in_window"),
            func.sum(days.c.payments).label("payments"),
            func.sum(days.c.gross).label("gross"),
            func.sum(days.c.refunded).label("refunded"),
        )
        .group_by(month, days.c.provider, days.c.currency, in_window)
        .cte("grouped")
    )
    money = Numeric(14, 2)
    gross = func.coalesce(func.sum(grouped.c.gross), 0).cast(money)
    refunded = func.coalesce(func.sum(grouped.c.refunded), 0).cast(money)
    sums = [
        cast(func.sum(grouped.c.payments), BigInteger).label("payments"),
        gross.label("gross"),
        refunded.label("refunded"),
        (gross - refunded).label("net"),
    ]
    no_text = cast(null(), Payment.provider.type)
    # Typed for PostgreSQL's UNION (date_trunc gives a timestamp); no result processing.
    no_month: ColumnElement[Any] = literal_column("CAST(NULL AS TIMESTAMP)")
    totals = select(
        literal_column("'total'", String).label("level"),
        no_month.label("month"),
        no_text.label("provider"),
        grouped.c.currency,
        *sums,
    ).group_by(grouped.c.currency)
    per_provider = select(
        literal_column("'provider'", String).label("level"),
        no_month.label("month"),
        grouped.c.provider,
        grouped.c.currency,
        *sums,
    ).group_by(grouped.c.provider, grouped.c.currency)
    per_month = (
        select(
            literal_column("'month'", String).label("level"),
            grouped.c.month,
            grouped.c.provider,
            grouped.c.currency,
            *sums,
        )
        .where(grouped.c.in_window == 1)
        .group_by(grouped.c.month, grouped.c.provider, grouped.c.currency)
    )
    combined = union_all(totals, per_provider, per_month).subquery("revenue")
    stmt = select(combined).order_by(
        combined.c.level, combined.c.month, combined.c.provider, combined.c.currency
    )
    return await _all(session, stmt)


# System


async def users_by_role(session: AsyncSession, *, active_since: datetime) -> list[dict[str, Any]]:
    """Per role: accounts, accounts signed in since ``active_since``, deactivated ones."""
    stmt = (
        select(
            User.role,
            func.count(User.role).label("total"),
            _count(
                and_(User.is_active.is_(True), User.last_login_at >= active_since), User.role
            ).label("active"),
            _count(User.is_active.is_(False), User.role).label("deactivated"),
        )
        .group_by(User.role)
        .order_by(User.role)
    )
    return await _all(session, stmt)


async def course_counts(session: AsyncSession) -> dict[str, Any]:
    stmt = select(
        func.count(Course.id).label("total"),
        _count(Course.is_published.is_(True), Course.id).label("published"),
    )
    return await _one(session, stmt)


async def enrollments_by_status(session: AsyncSession) -> list[dict[str, Any]]:
    stmt = (
        select(Enrollment.status, func.count().label("count"))
        .group_by(Enrollment.status)
        .order_by(Enrollment.status)
    )
    return await _all(session, stmt)
