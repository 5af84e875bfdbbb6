"""The table and SQL expressions that the enrollment statements of several use cases
share."""

from __future__ import annotations

from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Numeric, Table, case, func, literal_column, or_

from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.schemas import ACCESS_STATUSES

# The hot statements use the table's columns: a mapped attribute anywhere in a statement
# (an EXISTS included) sends its every execution through the ORM's statement handling.
ENROLLMENTS = cast(Table, Enrollment.__table__)


def percentage(completed: Any, total: Any) -> ColumnElement[Decimal]:
    """``completed`` out of ``total`` in percent, rounded to two places (0 with no
    lessons, 100 once every lesson is done)."""
    # 100.0 as SQL text is a NUMERIC constant on PostgreSQL (round(numeric, 2) exists;
    # round(double, 2) does not) and a REAL on SQLite.
    return case(
        (total <= 0, 0),
        (completed >= total, 100),
        else_=func.round(completed * literal_column("100.0", Numeric()) / total, 2),
    )


def gives_access() -> ColumnElement[bool]:
    """The enrollment's status opens the course's material."""
    # Equality tests, not IN: SQLAlchemy expands a list given to IN again on every
    # execution, and these conditions run on every lesson a student opens.
    return or_(*(ENROLLMENTS.c.status == status for status in ACCESS_STATUSES))
