"""Collected money: of one course or one instructor's courses, and the platform's
overview by currency, provider and month. Sums of NUMERIC columns come back as
``Decimal`` from PostgreSQL and as ``float`` from SQLite (``as_decimal`` evens that)."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Date,
    String,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import (
    COLLECTED_PAYMENTS,
    fetch_all,
    money_figures,
)
from lms.modules.analytics.repository.dialect import period_of_day, utc_day
from lms.modules.courses.models import Course
from lms.modules.enrollments.models import Enrollment
from lms.modules.payments.models import Payment


async def revenue(
    session: AsyncSession,
    *,
    course_id: uuid.UUID | None = None,
    instructor_id: uuid.UUID | None = None,
    per_course: bool = False,
    cohorts: Collection[uuid.UUID] | None = None,
) -> list[dict[str, Any]]:
    """Collected money per currency (and per course with ``per_course``) of one course
    or of one instructor's courses: payments, gross, refunded and net, summed in SQL.
    With ``cohorts`` (one course's), the payments of those cohorts' students only."""
    groups = [Payment.course_id.label("course_id")] if per_course else []
    stmt = select(
        *groups,
        Payment.currency.label("currency"),
        func.count(Payment.status).label("payments"),
        *money_figures(Payment.amount, Payment.refunded_amount),
    ).where(Payment.status.in_(COLLECTED_PAYMENTS))
    if course_id is not None:
        stmt = stmt.where(Payment.course_id == course_id)
    if cohorts is not None:
        students = select(Enrollment.student_id).where(
            Enrollment.course_id == Payment.course_id, Enrollment.cohort_id.in_(sorted(cohorts))
        )
        stmt = stmt.where(Payment.user_id.in_(students))
    if instructor_id is not None:
        stmt = stmt.join(Course, Course.id == Payment.course_id).where(
            Course.instructor_id == instructor_id
        )
    stmt = stmt.group_by(*groups, Payment.currency).order_by(*groups, Payment.currency)
    return await fetch_all(session, stmt)


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
    sums = [
        cast(func.sum(grouped.c.payments), BigInteger).label("payments"),
        *money_figures(grouped.c.gross, grouped.c.refunded),
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
    return await fetch_all(session, stmt)
