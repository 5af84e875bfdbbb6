"""The gradebook's SQL: its own tables (the scheme, overrides, history) and its rows
(the enrollments module's ``course_enrollments`` with the users module's
``user_names``). The figures are in ``figures``, the CSV export's statement in
``export``.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Collection, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, delete, func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules import enrollments, users
from lms.modules.grades.models import GradeChange, GradeOverride, GradingScheme
from lms.modules.grades.repository.figures import ENROLLMENT_IDS, ScoredItem, figures

__all__ = ["ENROLLMENT_IDS", "RowFilter", "ScoredItem", "figures"]


@dataclass(frozen=True)
class RowFilter:
    course_id: uuid.UUID
    cohort_id: uuid.UUID | None = None
    within_cohorts: Collection[uuid.UUID] | None = None


# --- the scheme, overrides, history ------------------------------------------------


async def get_scheme(session: AsyncSession, course_id: uuid.UUID) -> GradingScheme | None:
    return await session.get(GradingScheme, course_id)


async def save_scheme(
    session: AsyncSession, *, course_id: uuid.UUID, scheme: dict[str, Any], by: uuid.UUID
) -> GradingScheme:
    found = await session.get(GradingScheme, course_id, with_for_update=True)
    if found is None:
        found = GradingScheme(course_id=course_id, scheme=scheme, updated_by_id=by)
        session.add(found)
    else:
        found.scheme = scheme
        found.updated_by_id = by
    await session.flush()
    return found


async def get_override(session: AsyncSession, enrollment_id: uuid.UUID) -> GradeOverride | None:
    result: GradeOverride | None = await session.scalar(
        select(GradeOverride).where(GradeOverride.enrollment_id == enrollment_id)
    )
    return result


async def get_override_for_update(
    session: AsyncSession, enrollment_id: uuid.UUID
) -> GradeOverride | None:
    statement = select(GradeOverride).where(GradeOverride.enrollment_id == enrollment_id)
    if session.get_bind().dialect.name == "postgresql":
        statement = statement.with_for_update()
    result: GradeOverride | None = await session.scalar(statement)
    return result


async def add_override(session: AsyncSession, override: GradeOverride) -> GradeOverride:
    session.add(override)
    await session.flush()
    return override


async def delete_override(session: AsyncSession, enrollment_id: uuid.UUID) -> None:
    await session.execute(delete(GradeOverride).where(GradeOverride.enrollment_id == enrollment_id))


async def overrides_of(
    session: AsyncSession, enrollment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, GradeOverride]:
    if not enrollment_ids:
        return {}
    rows = await session.scalars(
        select(GradeOverride).where(GradeOverride.enrollment_id.in_(list(enrollment_ids)))
    )
    return {row.enrollment_id: row for row in rows}


async def add_change(session: AsyncSession, change: GradeChange) -> None:
    session.add(change)
    await session.flush()


async def page_changes(
    session: AsyncSession, enrollment_id: uuid.UUID, *, offset: int, limit: int
) -> tuple[list[GradeChange], int]:
    rows = await session.scalars(
        select(GradeChange)
        .where(GradeChange.enrollment_id == enrollment_id)
        .order_by(GradeChange.changed_at.desc(), GradeChange.id.desc())
        .offset(offset)
        .limit(limit)
    )
    total = await session.scalar(
        select(func.count(GradeChange.id)).where(GradeChange.enrollment_id == enrollment_id)
    )
    return list(rows), int(total or 0)


# --- the gradebook's rows -----------------------------------------------------------


def _rows_statement(filters: RowFilter) -> tuple[Select[Any], Any, Any]:
    found = enrollments.course_enrollments(filters.course_id)
    names = users.user_names()
    statement = select(
        found.c.enrollment_id,
        found.c.student_id,
        found.c.cohort_id,
        found.c.status,
        names.c.full_name,
        names.c.email,
    ).join(names, names.c.user_id == found.c.student_id)
    if filters.cohort_id is not None:
        statement = statement.where(found.c.cohort_id == filters.cohort_id)
    if filters.within_cohorts is not None:
        statement = statement.where(found.c.cohort_id.in_(list(filters.within_cohorts)))
    return statement, found, names


async def page_rows(
    session: AsyncSession, filters: RowFilter, *, offset: int, limit: int
) -> tuple[list[Any], int]:
    """A page of the course's students by name, and how many there are (counted in the
    same statement; a page past the end counts them again)."""
    statement, found, names = _rows_statement(filters)
    rows = list(
        await session.execute(
            statement.add_columns(func.count().over().label("matching"))
            .order_by(names.c.full_name, found.c.enrollment_id)
            .offset(offset)
            .limit(limit)
        )
    )
    if rows:
        return rows, int(rows[0].matching)
    if offset == 0:
        return rows, 0
    counted, _, _ = _rows_statement(filters)
    total = await session.scalar(select(func.count()).select_from(counted.subquery()))
    return rows, int(total or 0)


async def rows_after(
    session: AsyncSession, filters: RowFilter, *, after: tuple[str, uuid.UUID] | None, limit: int
) -> list[Any]:
    """The next ``limit`` students by name after ``after`` (keyset: no offset to skip)."""
    statement, found, names = _rows_statement(filters)
    if after is not None:
        statement = statement.where(
            tuple_(names.c.full_name, found.c.enrollment_id) > tuple_(*after)
        )
    return list(
        await session.execute(
            statement.order_by(names.c.full_name, found.c.enrollment_id).limit(limit)
        )
    )


async def enrollment_row(
    session: AsyncSession, course_id: uuid.UUID, enrollment_id: uuid.UUID
) -> Any | None:
    statement, found, _ = _rows_statement(RowFilter(course_id=course_id))
    return (await session.execute(statement.where(found.c.enrollment_id == enrollment_id))).first()


async def student_row(
    session: AsyncSession, course_id: uuid.UUID, student_id: uuid.UUID
) -> Any | None:
    statement, found, _ = _rows_statement(RowFilter(course_id=course_id))
    return (await session.execute(statement.where(found.c.student_id == student_id))).first()


async def stream_rows(
    session: AsyncSession, filters: RowFilter, *, batch: int
) -> AsyncIterator[list[Any]]:
    """Every student of the gradebook by name, ``batch`` at a time."""
    after: tuple[str, uuid.UUID] | None = None
    while True:
        rows = await rows_after(session, filters, after=after, limit=batch)
        if not rows:
            return
        yield rows
        if len(rows) < batch:
            return
        after = (rows[-1].full_name, rows[-1].enrollment_id)
