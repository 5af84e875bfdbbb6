"""Enrolling: a new enrollment's progress rows; dropping and reactivating."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import DateTime, Table, Uuid, and_, bindparam, insert, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import where_one_of
from lms.modules.enrollments.models import Enrollment, LessonProgress


async def add_progress_rows(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """One progress row per (enrollment_id, lesson_id), in one bulk INSERT."""
    if not pairs:
        return
    await session.execute(
        insert(cast(Table, LessonProgress.__table__)),
        [
            {
                "id": uuid.uuid4(),
                "enrollment_id": enrollment_id,
                "lesson_id": lesson_id,
                "status": "not_started",
                "time_spent_seconds": 0,
                "last_position_seconds": 0,
                "completion_percentage": Decimal("0"),
                "attempts_count": 0,
            }
            for enrollment_id, lesson_id in pairs
        ],
    )


_PROGRESS_ROWS_POSTGRESQL = text(
    "INSERT INTO lesson_progress (id, enrollment_id, lesson_id, status, time_spent_seconds, "
    "last_position_seconds, completion_percentage, attempts_count) "
    "SELECT gen_random_uuid(), e.id, l.id, 'not_started', 0, 0, 0, 0 "
    "FROM unnest(CAST(:enrollments AS uuid[])) AS e (id) "
    "CROSS JOIN unnest(CAST(:lessons AS uuid[])) AS l (id)"
).bindparams(
    bindparam("enrollments", type_=ARRAY(Uuid())), bindparam("lessons", type_=ARRAY(Uuid()))
)


async def add_progress_rows_for(
    session: AsyncSession, enrollment_ids: Sequence[uuid.UUID], lesson_ids: Sequence[uuid.UUID]
) -> None:
    """A progress row for every lesson of ``lesson_ids`` in every enrollment of
    ``enrollment_ids`` (a bulk import's): on PostgreSQL one statement of two array
    parameters, the ids made by the server."""
    if not enrollment_ids or not lesson_ids:
        return
    if session.get_bind().dialect.name != "postgresql":
        await add_progress_rows(
            session, [(e, lesson) for e in enrollment_ids for lesson in lesson_ids]
        )
        return
    await session.execute(
        _PROGRESS_ROWS_POSTGRESQL,
        {"enrollments": list(enrollment_ids), "lessons": list(lesson_ids)},
    )


async def change_status(
    session: AsyncSession,
    *,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    from_status: str,
    to_status: str,
) -> uuid.UUID | None:
    """Move the student's enrollment from one status to another in one statement; its
    id, or None when it is not in ``from_status`` (so concurrent changes cannot cross)."""
    changed: uuid.UUID | None = await session.scalar(
        update(Enrollment)
        .where(
            Enrollment.student_id == student_id,
            Enrollment.course_id == course_id,
            Enrollment.status == from_status,
        )
        .values(status=to_status)
        .returning(Enrollment.id)
        .execution_options(synchronize_session="fetch")
    )
    return changed


_UNSET: Any = object()


async def set_cohort(
    session: AsyncSession,
    enrollment_id: uuid.UUID,
    cohort_id: uuid.UUID | None,
    *,
    expected: uuid.UUID | None = _UNSET,
    enrolled_by_id: uuid.UUID | None = None,
) -> Enrollment | None:
    """Put the enrollment in ``cohort_id`` (and record who enrolled it); when
    ``expected`` is given, only if it is still in that cohort. Returns it as updated,
    or None when it is not there (or moved meanwhile)."""
    condition = Enrollment.id == enrollment_id
    if expected is not _UNSET:
        condition = and_(condition, Enrollment.cohort_id.is_not_distinct_from(expected))
    values: dict[str, Any] = {"cohort_id": cohort_id}
    if enrolled_by_id is not None:
        values["enrolled_by_id"] = enrolled_by_id
    updated: Enrollment | None = await session.scalar(
        update(Enrollment)
        .where(condition)
        .values(**values)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return updated


async def set_status(
    session: AsyncSession, enrollment_id: uuid.UUID, *, from_status: str, to_status: str
) -> Enrollment | None:
    """Move the enrollment from one status to another in one statement; returns it as
    updated, or None when it was not in ``from_status``."""
    updated: Enrollment | None = await session.scalar(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.status == from_status)
        .values(status=to_status)
        .returning(Enrollment)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    return updated


ENROLLMENT_TABLE = cast(Table, Enrollment.__table__)


async def places_in_course(
    session: AsyncSession, course_id: uuid.UUID, student_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, uuid.UUID | None, str]]:
    """(student_id, cohort_id, status) of those students' enrollments in the course."""
    if not student_ids:
        return []
    statement = select(Enrollment.student_id, Enrollment.cohort_id, Enrollment.status).where(
        Enrollment.course_id == course_id
    )
    statement = where_one_of(
        statement,
        Enrollment.student_id,
        sorted(set(student_ids)),
        Uuid(),
        dialect=session.get_bind().dialect.name,
    )
    rows = await session.execute(statement)
    return [(row.student_id, row.cohort_id, row.status) for row in rows]


_ENROLL_POSTGRESQL = text(
    "INSERT INTO enrollments (id, student_id, course_id, cohort_id, enrolled_by_id, "
    "enrolled_at, status, progress_percentage, completed_lessons_count, total_lessons_count, "
    "total_time_spent_seconds) "
    "SELECT id, student_id, :course_id, cohort_id, enrolled_by_id, :now, 'active', 0, 0, "
    ":total_lessons, 0 "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:students AS uuid[]), CAST(:cohorts AS uuid[]), "
    "CAST(:enrollers AS uuid[])) AS rows (id, student_id, cohort_id, enrolled_by_id) "
    "ON CONFLICT (student_id, course_id) DO NOTHING RETURNING student_id"
).bindparams(
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("course_id", type_=Uuid()),
    bindparam("enrollers", type_=ARRAY(Uuid())),
    bindparam("ids", type_=ARRAY(Uuid())),
    bindparam("students", type_=ARRAY(Uuid())),
    bindparam("cohorts", type_=ARRAY(Uuid())),
)


async def insert_enrollments(
    session: AsyncSession, rows: Sequence[dict[str, Any]]
) -> set[uuid.UUID]:
    """Insert new active enrollment rows (``id``, ``student_id``, ``course_id``,
    ``cohort_id``, ``enrolled_by_id``, ``enrolled_at``, ``total_lessons_count``; one
    course, one time) in one statement; a student enrolled meanwhile by
    another transaction (the unique student and course) skips its row. The student ids
    inserted."""
    if not rows:
        return set()
    if session.get_bind().dialect.name == "postgresql":
        first = rows[0]
        result = await session.execute(
            _ENROLL_POSTGRESQL,
            {
                "now": first["enrolled_at"],
                "course_id": first["course_id"],
                "total_lessons": first["total_lessons_count"],
                "ids": [row["id"] for row in rows],
                "students": [row["student_id"] for row in rows],
                "cohorts": [row["cohort_id"] for row in rows],
                "enrollers": [row["enrolled_by_id"] for row in rows],
            },
        )
        return set(result.scalars())
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    result = await session.execute(
        # The table, not the entity: the ORM's bulk insert would split the rows into
        # one statement per run of rows with the same non-null columns.
        dialect.insert(ENROLLMENT_TABLE)
        .on_conflict_do_nothing(index_elements=["student_id", "course_id"])
        .returning(ENROLLMENT_TABLE.c.student_id),
        list(rows),
    )
    return set(result.scalars())
