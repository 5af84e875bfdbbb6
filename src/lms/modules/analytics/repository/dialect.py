"""Where SQLite and PostgreSQL differ: days, periods, score buckets, JIT, and the types
their results come back in.

Each expression is written so that the SELECT and the GROUP BY render the same text
(constants are inlined, never bound), which both databases need to accept the grouping.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Date, DateTime, Integer, cast, func, literal_column, text
from sqlalchemy.ext.asyncio import AsyncSession

CENT = Decimal("0.01")


def dialect_of(session: AsyncSession) -> str:
    """The name of the database the session talks to (``postgresql`` or ``sqlite``)."""
    return session.get_bind().dialect.name


def as_decimal(value: Any) -> Decimal:
    """An exact Decimal of a sum of two-place NUMERIC values (SQLite returns a float)."""
    if value is None:
        return Decimal("0.00")
    if isinstance(value, Decimal):
        return value
    return Decimal(repr(float(value))).quantize(CENT)


def as_date(value: Any) -> date:
    """A period start as returned by either database (timestamp, date or ISO text)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def utc_day(session: AsyncSession, column: Any) -> ColumnElement[Any]:
    """The UTC calendar day of a timestamp (a cheap cast, done once per row)."""
    if dialect_of(session) == "postgresql":
        return cast(func.timezone(literal_column("'UTC'"), column), Date)
    return func.date(column)  # SQLite stores UTC timestamps as naive ISO text


def period_of_day(session: AsyncSession, day: Any, interval: str) -> ColumnElement[Any]:
    """The day itself, the Monday of its ISO week or the first of its month."""
    if interval == "day":
        return day
    if dialect_of(session) == "postgresql":
        # One of two fixed words (never user text), inlined so that the SELECT and the
        # GROUP BY expressions are identical.
        unit: ColumnElement[str] = literal_column(f"'{interval}'")
        # A timestamp without time zone: truncating a date would go through the
        # session's time zone (date → timestamptz).
        return func.date_trunc(unit, cast(day, DateTime))
    if interval == "week":
        return func.date(day, literal_column("'weekday 0'"), literal_column("'-6 days'"))
    return func.strftime(literal_column("'%Y-%m-01'"), day)


def score_bucket(session: AsyncSession, percentage: Any) -> ColumnElement[Any]:
    """The ten-point bucket of a percentage: its tens digit, 0-9 (100 falls in 9)."""
    # Inlined constants, so that the SELECT and the GROUP BY expressions are identical.
    ten: ColumnElement[int] = literal_column("10")
    nine: ColumnElement[int] = literal_column("9")
    if dialect_of(session) == "postgresql":
        return func.least(func.floor(percentage / ten), nine)
    # SQLite: a non-negative number cast to INTEGER is truncated, i.e. floored.
    return func.min(cast(percentage / ten, Integer), nine)


async def without_jit(session: AsyncSession) -> None:
    """Turn PostgreSQL's JIT compilation off for the rest of the transaction.

    The platform-wide statements are estimated above ``jit_above_cost``, yet they are
    index scans and small aggregates that gain nothing from compiled expressions: JIT
    only adds its compile time (15-40 ms measured per statement on the benchmark)."""
    if dialect_of(session) == "postgresql":
        await session.execute(text("SET LOCAL jit = off"))
