"""The gradebook's CSV export on PostgreSQL: one statement over the whole course whose
rows are the students by name, each with the cells of its line already written
(``string_agg``), so that the application streams text instead of building half a
million cells.

The figures are those of ``figures`` (the same scores and aggregates), computed once
for every student of the export rather than a batch of students at a time. SQLite has
no ordered string aggregate (``group_concat … ORDER BY`` came in 3.44), so there the
export builds its lines from ``figures`` in batches instead.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

from sqlalchemy import (
    BigInteger,
    Integer,
    Text,
    Uuid,
    and_,
    cast,
    func,
    literal,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.grades.models import GradeOverride
from lms.modules.grades.repository import RowFilter, _rows_statement
from lms.modules.grades.repository.figures import ScoredItem, aggregates, scores_of

# The export sorts and hashes every score of the course at once (about 500,000 cells
# for 10,000 students and 50 items): in memory rather than in temporary files.
EXPORT_WORK_MEM = "64MB"


def _percent_text(cents: Any) -> Any:
    """Hundredths of a percent written as the API writes a percent ("65.12"), as
    ``service.cents_text`` does for the non-negative figures there are."""
    return (
        cast(cents // 100, Text)
        + literal(".")
        + func.lpad(cast(cents % 100, Text), 2, literal("0"))
    )


def _positions(item_ids: Sequence[uuid.UUID], categories: int) -> Any:
    """The line's places: each item (two cells: its effective score, its late penalty),
    then each category's average; ``blank`` is what a place without a figure holds."""
    places: list[tuple[int, uuid.UUID | None, int | None, str]] = [
        (index, item_id, None, ",") for index, item_id in enumerate(item_ids)
    ]
    places += [(len(item_ids) + index, None, index, "") for index in range(categories)]
    return union_all(
        *(
            select(
                literal(position, Integer()).label("position"),
                (cast(null(), Uuid) if item_id is None else literal(item_id, Uuid())).label(
                    "item_id"
                ),
                (cast(null(), Integer) if category is None else literal(category, Integer())).label(
                    "category"
                ),
                literal(blank, Text()).label("blank"),
            )
            for position, item_id, category, blank in places
        )
    ).cte("csv_positions")


def export_statement(
    filters: RowFilter,
    *,
    item_ids: Sequence[uuid.UUID],
    categories: int,
    items: Sequence[ScoredItem],
    missing_counts_as_zero: bool,
) -> Any:
    """The students of ``filters`` by name (as ``rows_after``), each with ``cells`` (the
    item cells then the category averages, comma-separated; NULL when the line has no
    such place), ``computed`` (the course grade in cents, NULL without one) and
    ``override_grade``."""
    rows, found, names = _rows_statement(filters)
    override = GradeOverride.__table__
    if not item_ids and not categories:
        return (
            rows.add_columns(
                cast(null(), Text).label("cells"),
                cast(null(), BigInteger).label("computed"),
                override.c.grade.label("override_grade"),
            )
            .outerjoin(override, override.c.enrollment_id == found.c.enrollment_id)
            .order_by(names.c.full_name, found.c.enrollment_id)
        )
    filtered = filters.cohort_id is not None or filters.within_cohorts is not None
    within = rows.with_only_columns(found.c.enrollment_id) if filtered else None
    scores = scores_of(filters.course_id, within)
    places = _positions(item_ids, categories)
    pieces: list[Any] = [
        select(
            scores.c.enrollment_id,
            places.c.position,
            (
                _percent_text(scores.c.effective)
                + literal(",")
                + func.coalesce(cast(scores.c.late_penalty_percent, Text), literal(""))
            ).label("cells"),
        ).join(places, places.c.item_id == scores.c.item_id)
    ]
    course: Any = None
    if items:
        figures = aggregates(filters.course_id, scores, items, missing_counts_as_zero, within)
        averages = figures.averages
        pieces.append(
            select(
                averages.c.enrollment_id,
                places.c.position,
                _percent_text(averages.c.cents).label("cells"),
            ).join(places, places.c.category == averages.c.category)
        )
        course = figures.course_rows.subquery("course_grades")
    piece = union_all(*pieces).cte("csv_pieces")
    lines = (
        select(
            found.c.enrollment_id,
            func.string_agg(
                func.coalesce(piece.c.cells, places.c.blank),
                aggregate_order_by(literal(","), places.c.position),
            ).label("cells"),
        )
        .select_from(found)
        .join(places, true())
        .outerjoin(
            piece,
            and_(
                piece.c.enrollment_id == found.c.enrollment_id,
                piece.c.position == places.c.position,
            ),
        )
        .group_by(found.c.enrollment_id)
    )
    if within is not None:
        lines = lines.where(found.c.enrollment_id.in_(within))
    line = lines.subquery("csv_lines")
    statement = (
        rows.add_columns(
            line.c.cells,
            (cast(null(), BigInteger) if course is None else course.c.cents).label("computed"),
            override.c.grade.label("override_grade"),
        )
        .outerjoin(line, line.c.enrollment_id == found.c.enrollment_id)
        .outerjoin(override, override.c.enrollment_id == found.c.enrollment_id)
    )
    if course is not None:
        statement = statement.outerjoin(course, course.c.enrollment_id == found.c.enrollment_id)
    return statement.order_by(names.c.full_name, found.c.enrollment_id)


async def stream_lines(
    session: AsyncSession, statement: Any, *, batch: int
) -> AsyncIterator[Sequence[Any]]:
    """The rows of ``export_statement`` from one server-side cursor, ``batch`` a fetch."""
    await session.execute(text(f"SET LOCAL work_mem = '{EXPORT_WORK_MEM}'"))
    result = await session.stream(statement.execution_options(yield_per=batch))
    async for rows in result.partitions():
        yield rows
