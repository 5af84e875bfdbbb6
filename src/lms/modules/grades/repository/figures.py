"""The gradebook's figures, computed over the scores the quizzes and assignments
modules offer as selectables (``graded_attempt_scores``, ``graded_submission_scores``)
and the enrollments module's ``course_enrollments``.

Every figure is computed in integers of hundredths of a percent ("cents"), so that the
same statement gives the same cents on PostgreSQL and SQLite. A non-negative ``a / b``
rounded half up is ``(2a + b) / (2b)`` in integer division.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    null,
    select,
    true,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules import assignments, enrollments, quizzes


@dataclass(frozen=True)
class ScoredItem:
    """An item as the figures count it: its category's position, weight (cents of a
    percent) and drop-lowest count."""

    item_id: uuid.UUID
    category: int
    weight: int
    drop_lowest: int


# --- scores and figures -------------------------------------------------------------


def _cents(value: Any) -> ColumnElement[int]:
    """A NUMERIC(…, 2) percent as an integer of hundredths."""
    return cast(func.round(value * 100), BigInteger)


def _effective_cents(score: Any) -> ColumnElement[int]:
    """The score that counts, in cents. A late penalty is already in it: the item's
    schedule took it off when the work was handed in or graded (``late_penalty_percent``
    says how much), so it is never taken twice."""
    return _cents(score)


# The enrollments a statement of figures is for, given at each execution.
ENROLLMENT_IDS = "enrollment_ids"


def _enrollment_ids() -> Any:
    return bindparam(ENROLLMENT_IDS, expanding=True)


def _within(column: Any, enrollment_ids: Any) -> list[Any]:
    """The condition that keeps the rows of the enrollments asked for: none when the
    statement is for the whole course (``enrollment_ids`` None)."""
    return [] if enrollment_ids is None else [column.in_(enrollment_ids)]


def scores_of(course_id: uuid.UUID, enrollment_ids: Any) -> Any:
    """One row per enrollment and item with a counting score: the best graded attempt of
    a quiz (by effective score, the earlier attempt on a tie), the graded submission of
    an assignment; of ``enrollment_ids`` (a bound list or a selectable), or of every
    enrollment of the course when None."""
    attempts = quizzes.graded_attempt_scores(course_id)
    effective = _effective_cents(attempts.c.percentage)
    ranked = (
        select(
            attempts.c.enrollment_id,
            attempts.c.quiz_id.label("item_id"),
            attempts.c.percentage.label("score"),
            attempts.c.is_late,
            attempts.c.late_penalty_percent,
            effective.label("effective"),
            func.row_number()
            .over(
                partition_by=(attempts.c.enrollment_id, attempts.c.quiz_id),
                order_by=(effective.desc(), attempts.c.attempt_number),
            )
            .label("rank"),
        )
        .where(*_within(attempts.c.enrollment_id, enrollment_ids))
        .subquery("ranked_attempts")
    )
    best = select(
        ranked.c.enrollment_id,
        ranked.c.item_id,
        ranked.c.score,
        ranked.c.is_late,
        ranked.c.late_penalty_percent,
        ranked.c.effective,
    ).where(ranked.c.rank == 1)
    submissions = assignments.graded_submission_scores(course_id)
    graded = select(
        submissions.c.enrollment_id,
        submissions.c.lesson_id.label("item_id"),
        submissions.c.score,
        submissions.c.is_late,
        submissions.c.late_penalty_percent,
        _effective_cents(submissions.c.score).label("effective"),
    ).where(*_within(submissions.c.enrollment_id, enrollment_ids))
    return union_all(best, graded).cte("scores")


def _items_table(items: Sequence[ScoredItem]) -> Any:
    return union_all(
        *(
            select(
                literal(item.item_id, Uuid()).label("item_id"),
                literal(item.category, Integer()).label("category"),
                literal(item.weight, BigInteger()).label("weight"),
                literal(item.drop_lowest, BigInteger()).label("drop_lowest"),
            )
            for item in items
        )
    ).cte("counted_items")


def _figure_row(
    enrollment_id: Any,
    level: int,
    *,
    category: Any = None,
    item_id: Any = None,
    cents: Any = None,
    score: Any = None,
    is_late: Any = None,
    penalty: Any = None,
) -> list[Any]:
    def typed(value: Any, type_: Any) -> Any:
        return cast(null(), type_) if value is None else value

    return [
        enrollment_id,
        literal(level, Integer()).label("level"),
        typed(category, Integer).label("category"),
        typed(item_id, Uuid).label("item_id"),
        typed(cents, BigInteger).label("cents"),
        typed(score, Numeric(6, 2)).label("score"),
        typed(is_late, Boolean).label("is_late"),
        typed(penalty, Numeric(5, 2)).label("late_penalty_percent"),
    ]


# Statements of figures by course and scheme: built once (a page's statement holds
# every graded item) and executed with each page's enrollment ids. Bounded: the oldest
# are dropped first.
_FIGURES_STATEMENTS: dict[tuple[Any, ...], Any] = {}
_FIGURES_STATEMENTS_MAX = 256


def _figures_statement(
    course_id: uuid.UUID,
    shown_item_ids: tuple[uuid.UUID, ...],
    items: tuple[ScoredItem, ...],
    missing_counts_as_zero: bool,
) -> Any:
    key = (course_id, shown_item_ids, items, missing_counts_as_zero)
    found = _FIGURES_STATEMENTS.get(key)
    if found is not None:
        return found
    scores = scores_of(course_id, _enrollment_ids())
    parts: list[Any] = []
    if shown_item_ids:
        parts.append(
            select(
                *_figure_row(
                    scores.c.enrollment_id,
                    3,
                    item_id=scores.c.item_id,
                    cents=scores.c.effective,
                    score=scores.c.score,
                    is_late=scores.c.is_late,
                    penalty=scores.c.late_penalty_percent,
                )
            ).where(scores.c.item_id.in_(list(shown_item_ids)))
        )
    if items:
        found = aggregates(course_id, scores, items, missing_counts_as_zero, _enrollment_ids())
        parts += [found.dropped, found.category_rows, found.course_rows]
    statement = union_all(*parts) if parts else None
    while len(_FIGURES_STATEMENTS) >= _FIGURES_STATEMENTS_MAX:
        del _FIGURES_STATEMENTS[next(iter(_FIGURES_STATEMENTS))]
    _FIGURES_STATEMENTS[key] = statement
    return statement


async def figures(
    session: AsyncSession,
    *,
    course_id: uuid.UUID,
    enrollment_ids: Sequence[uuid.UUID],
    shown_item_ids: Sequence[uuid.UUID],
    items: Sequence[ScoredItem],
    missing_counts_as_zero: bool,
) -> list[Any]:
    """Every figure of the enrollments, in one statement, as rows of ``(enrollment_id,
    level, category, item_id, cents, score, is_late, late_penalty_percent)``: level 3 an
    item's counting score (its ``score`` and penalty, ``cents`` its effective score),
    0 an item dropped as one of its category's lowest, 1 a category average, 2 the
    course grade. A category without a counted score has no row, and the course grade
    is weighted over the categories that have one."""
    if not enrollment_ids:
        return []
    statement = _figures_statement(
        course_id, tuple(shown_item_ids), tuple(items), missing_counts_as_zero
    )
    if statement is None:
        return []
    result = await session.execute(statement, {ENROLLMENT_IDS: list(enrollment_ids)})
    return list(result.all())


@dataclass(frozen=True)
class Aggregates:
    """The figures above the items' scores, as parts of a statement: the items dropped
    (level 0 rows), the category averages (a CTE of ``enrollment_id, category, weight,
    cents``; and as level 1 rows), the course grades (level 2 rows)."""

    dropped: Any
    averages: Any
    category_rows: Any
    course_rows: Any


def aggregates(
    course_id: uuid.UUID,
    scores: Any,
    items: Sequence[ScoredItem],
    missing_counts_as_zero: bool,
    enrollment_ids: Any,
) -> Aggregates:
    """What the ``scores`` of ``enrollment_ids`` (as for ``scores_of``) add up to."""
    table = _items_table(items)
    if missing_counts_as_zero:
        found = enrollments.course_enrollments(course_id)
        cells = (
            select(
                found.c.enrollment_id,
                table.c.item_id,
                table.c.category,
                table.c.weight,
                table.c.drop_lowest,
                func.coalesce(scores.c.effective, 0).label("effective"),
            )
            .select_from(found)
            .join(table, true())
            .outerjoin(
                scores,
                and_(
                    scores.c.enrollment_id == found.c.enrollment_id,
                    scores.c.item_id == table.c.item_id,
                ),
            )
            .where(*_within(found.c.enrollment_id, enrollment_ids))
        )
    else:
        cells = select(
            scores.c.enrollment_id,
            table.c.item_id,
            table.c.category,
            table.c.weight,
            table.c.drop_lowest,
            scores.c.effective,
        ).join(table, table.c.item_id == scores.c.item_id)
    cell = cells.subquery("cells")
    partition = (cell.c.enrollment_id, cell.c.category)
    ranked = select(
        cell,
        func.row_number()
        .over(partition_by=partition, order_by=(cell.c.effective, cell.c.item_id))
        .label("rank"),
        func.count().over(partition_by=partition).label("counted"),
    ).cte("ranked_cells")
    # At most all but one of a category's scores are dropped.
    dropped_count = case(
        (ranked.c.drop_lowest < ranked.c.counted, ranked.c.drop_lowest),
        else_=ranked.c.counted - 1,
    )
    is_dropped = ranked.c.rank <= dropped_count
    dropped = select(
        *_figure_row(
            ranked.c.enrollment_id, 0, category=ranked.c.category, item_id=ranked.c.item_id
        )
    ).where(is_dropped)
    kept_sum = cast(func.sum(ranked.c.effective), BigInteger)
    kept_count = cast(func.count(), BigInteger)
    averages = (
        select(
            ranked.c.enrollment_id,
            ranked.c.category,
            ranked.c.weight,
            ((kept_sum * 2 + kept_count) // (kept_count * 2)).label("cents"),
        )
        .where(~is_dropped)
        .group_by(ranked.c.enrollment_id, ranked.c.category, ranked.c.weight)
        .cte("category_averages")
    )
    category_rows = select(
        *_figure_row(
            averages.c.enrollment_id, 1, category=averages.c.category, cents=averages.c.cents
        )
    )
    weighted = cast(func.sum(averages.c.weight * averages.c.cents), BigInteger)
    weights = cast(func.sum(averages.c.weight), BigInteger)
    course_rows = select(
        *_figure_row(averages.c.enrollment_id, 2, cents=(weighted * 2 + weights) // (weights * 2))
    ).group_by(averages.c.enrollment_id)
    return Aggregates(dropped, averages, category_rows, course_rows)
