"""Time windows and trends: the window a request asks for (with each endpoint's
default), and the enrollments and completions per period laid out on a calendar."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.errors import RuleViolation
from lms.modules.analytics import repository
from lms.modules.analytics.schemas import Interval, Trend, TrendPoint, TrendQuery, Window

# The longest time series one request may ask for (two years of days).
MAX_WINDOW_DAYS = 731
COURSE_WINDOW: tuple[int, Interval] = (30, "day")
SYSTEM_WINDOW: tuple[int, Interval] = (365, "month")


class InvalidWindow(RuleViolation):
    code = "invalid_window"


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


def window_bounds(window: Window) -> tuple[datetime, datetime]:
    """The window as [since, until): UTC midnights of its first day and of the day after
    its last."""
    since = datetime.combine(window.date_from, time.min, UTC)
    until = datetime.combine(window.date_to + timedelta(days=1), time.min, UTC)
    return since, until


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


async def enrollment_trend(
    session: AsyncSession,
    *,
    course_id: uuid.UUID | None,
    window: Window,
    cohorts: Collection[uuid.UUID] | None = None,
) -> Trend:
    """Enrollments and completions per period of one course (of its ``cohorts`` only,
    when given) or all courses; periods without any are listed with 0 (the first and
    last period only count the days inside the window)."""
    since, until = window_bounds(window)
    rows = await repository.enrollment_trend(
        session,
        course_id=course_id,
        since=since,
        until=until,
        interval=window.interval,
        cohorts=cohorts,
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
