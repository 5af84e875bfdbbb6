"""SQL for enrollments and progress. Counters change only through single UPDATE
statements (``x = x + :delta`` or a recount), never read-modify-write in Python, so
concurrent requests for one enrollment add up exactly."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Integer,
    Numeric,
    Row,
    ScalarSelect,
    Select,
    Table,
    and_,
    bindparam,
    case,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import UTCDateTime
from lms.core.session import Executor
from lms.modules.enrollments.models import (
    ACCESS_STATUSES,
    Enrollment,
    LearningTime,
    LessonProgress,
)

# The hot statements use the table's columns: a mapped attribute anywhere in a statement
# (an EXISTS included) sends its every execution through the ORM's statement handling.
_ENROLLMENTS = cast(Table, Enrollment.__table__)


def _percentage(completed: Any, total: Any) -> ColumnElement[Decimal]:
    # 100.0 as SQL text is a NUMERIC constant on PostgreSQL (round(numeric, 2) exists;
    # round(double, 2) does not) and a REAL on SQLite.
    return case(
        (total <= 0, 0),
        (completed >= total, 100),
        else_=func.round(completed * literal_column("100.0", Numeric()) / total, 2),
    )


async def get(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    return await session.get(Enrollment, enrollment_id)


async def get_fresh(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment | None:
    """Re-read after SQL updates so the identity map shows the database's values."""
    result: Enrollment | None = await session.scalar(
        select(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .execution_options(populate_existing=True)
    )
    return result


async def get_for(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    result: Enrollment | None = await session.scalar(
        select(Enrollment).where(
            Enrollment.student_id == student_id, Enrollment.course_id == course_id
        )
    )
    return result


def _gives_access() -> ColumnElement[bool]:
    # Equality tests, not IN: SQLAlchemy expands a list given to IN again on every
    # execution, and these conditions run on every lesson a student opens.
    return or_(*(_ENROLLMENTS.c.status == status for status in ACCESS_STATUSES))


# Built once: this check runs on every lesson a student opens, and composing a statement
# costs more than running a cached one.
_HAS_ACCESS = select(_ENROLLMENTS.c.id).where(
    _ENROLLMENTS.c.student_id == bindparam("student_id"),
    _ENROLLMENTS.c.course_id == bindparam("course_id"),
    _gives_access(),
)


def access_condition(student_id: Any, course_id: Any) -> ColumnElement[bool]:
    """True when the student's enrollment in the course gives access to its material."""
    return exists().where(
        _ENROLLMENTS.c.student_id == student_id,
        _ENROLLMENTS.c.course_id == course_id,
        _gives_access(),
    )


def enrollment_subqueries(
    student_id: ColumnExpressionArgument[uuid.UUID], course_id: ColumnExpressionArgument[uuid.UUID]
) -> tuple[ScalarSelect[uuid.UUID], ScalarSelect[str]]:
    # Table columns, not mapped attributes: the enclosing statement stays a Core one.
    enrollments = cast(Table, Enrollment.__table__)

    def column(selected: Any) -> ScalarSelect[Any]:
        return (
            select(selected)
            .where(enrollments.c.student_id == student_id, enrollments.c.course_id == course_id)
            .scalar_subquery()
        )

    return column(enrollments.c.id), column(enrollments.c.status)


async def has_access(session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    found = await session.scalar(_HAS_ACCESS, {"student_id": student_id, "course_id": course_id})
    return found is not None


async def count_for_course(session: AsyncSession, course_id: uuid.UUID) -> int:
    return int(
        await session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.course_id == course_id)
        )
        or 0
    )


async def add_progress_rows(
    session: AsyncSession, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
) -> None:
    """One progress row per (enrollment_id, lesson_id), in one bulk INSERT."""
    if not pairs:
        return
    await session.execute(
        insert(LessonProgress),
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


async def enrollment_ids_of_course(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    return list(
        await session.scalars(select(Enrollment.id).where(Enrollment.course_id == course_id))
    )


async def lock_enrollments_of_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    """Wait for every in-flight progress change of the course's enrollments, so the
    recount that follows sees them all (PostgreSQL; SQLite serialises writers)."""
    await session.execute(
        select(Enrollment.id)
        .where(Enrollment.course_id == course_id)
        .order_by(Enrollment.id)
        .with_for_update()
    )


async def add_lessons_to_totals(session: AsyncSession, course_id: uuid.UUID, added: int) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.course_id == course_id)
        .values(
            total_lessons_count=Enrollment.total_lessons_count + added,
            progress_percentage=_percentage(
                Enrollment.completed_lessons_count, Enrollment.total_lessons_count + added
            ),
        )
    )


async def recount_course(session: AsyncSession, course_id: uuid.UUID) -> None:
    """Recompute every enrollment's lesson counters of a course from its progress rows,
    in one statement."""
    total = (
        select(func.count(LessonProgress.id))
        .where(LessonProgress.enrollment_id == Enrollment.id)
        .scalar_subquery()
    )
    completed = (
        select(func.count(LessonProgress.id))
        .where(LessonProgress.enrollment_id == Enrollment.id, LessonProgress.status == "completed")
        .scalar_subquery()
    )
    await session.execute(
        update(Enrollment)
        .where(Enrollment.course_id == course_id)
        .values(
            total_lessons_count=total,
            completed_lessons_count=completed,
            progress_percentage=_percentage(completed, total),
        )
    )


async def progress_exists(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> bool:
    found = await session.scalar(
        select(LessonProgress.id).where(
            LessonProgress.enrollment_id == enrollment_id, LessonProgress.lesson_id == lesson_id
        )
    )
    return found is not None


async def progress_of(session: AsyncSession, enrollment_id: uuid.UUID) -> list[LessonProgress]:
    return list(
        await session.scalars(
            select(LessonProgress).where(LessonProgress.enrollment_id == enrollment_id)
        )
    )


# The title and position of the lesson whose id is in the given column, as two scalar
# subqueries (the courses module's ``lesson_labels``).
LessonLabels = Callable[[ColumnExpressionArgument[uuid.UUID]], tuple[Any, Any]]

_PROGRESS = cast(Table, LessonProgress.__table__)


# The enrollment (``:enrollment``) is the student's (``:student_id``) and gives access.
_OWNED_AND_OPEN = (
    select(_ENROLLMENTS.c.id)
    .where(
        _ENROLLMENTS.c.id == bindparam("enrollment"),
        _ENROLLMENTS.c.student_id == bindparam("student_id"),
        _gives_access(),
    )
    .exists()
)


@functools.cache
def _record_progress_statement(*, with_metadata: bool, labels: LessonLabels) -> Any:
    """UPDATE lesson_progress for ``record_progress``, composed once per shape: a missing
    position or percentage (NULL) keeps the stored one. On the table, not the mapped
    class: the ORM's bulk-update path costs more than the statement itself."""
    row = _PROGRESS.c
    now = bindparam("now", type_=UTCDateTime())
    percentage = bindparam("percentage", type_=row.completion_percentage.type)
    values: dict[str, Any] = {
        "time_spent_seconds": row.time_spent_seconds + bindparam("seconds"),
        "status": case((row.status == "not_started", "in_progress"), else_=row.status),
        "started_at": func.coalesce(row.started_at, now),
        "updated_at": now,
        "last_position_seconds": func.coalesce(
            bindparam("position", type_=Integer), row.last_position_seconds
        ),
        "completion_percentage": case(
            (row.completion_percentage < percentage, percentage),
            else_=row.completion_percentage,
        ),
    }
    if with_metadata:
        values["progress_metadata"] = bindparam("metadata", type_=row.progress_metadata.type)
    owned = _OWNED_AND_OPEN
    title, order_index = labels(row.lesson_id)
    return (
        update(_PROGRESS)
        .where(
            row.enrollment_id == bindparam("enrollment"),
            row.lesson_id == bindparam("lesson"),
            owned,
        )
        .values(**values)
        .returning(
            *_PROGRESS.c,
            title.label("lesson_title"),
            order_index.label("lesson_order_index"),
        )
    )


_NOW = bindparam("now", type_=UTCDateTime())
# On the tables, not the mapped classes (see _record_progress_statement).
_ADD_TIME = (
    update(_ENROLLMENTS)
    .where(_ENROLLMENTS.c.id == bindparam("enrollment"))
    .values(
        total_time_spent_seconds=_ENROLLMENTS.c.total_time_spent_seconds + bindparam("seconds"),
        last_accessed_at=_NOW,
        started_at=func.coalesce(_ENROLLMENTS.c.started_at, _NOW),
    )
)
_LOG_LEARNING_TIME = insert(cast(Table, LearningTime.__table__))


async def record_progress(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    seconds: int,
    position: int | None,
    percentage: Decimal | None,
    metadata: dict[str, Any] | None,
    now: datetime,
    student_id: uuid.UUID,
    labels: LessonLabels,
) -> Row[Any] | None:
    """Add time, replace the position, raise the percentage, start the lesson, in one
    statement that also checks that the enrollment is the student's and open; returns
    the updated row with ``lesson_title`` and ``lesson_order_index``. None if any of that
    does not hold (the caller finds out which)."""
    params: dict[str, Any] = {
        "enrollment": enrollment_id,
        "lesson": lesson_id,
        "student_id": student_id,
        "seconds": seconds,
        "position": position,
        "percentage": percentage,
        "now": now,
    }
    if metadata is not None:
        params["metadata"] = metadata
    statement = _record_progress_statement(with_metadata=metadata is not None, labels=labels)
    row: Row[Any] | None = (await session.execute(statement, params)).first()
    return row


async def add_time(
    session: AsyncSession, *, enrollment_id: uuid.UUID, seconds: int, now: datetime
) -> None:
    await session.execute(_ADD_TIME, {"enrollment": enrollment_id, "seconds": seconds, "now": now})


async def log_learning_time(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    seconds: int,
    now: datetime,
) -> None:
    await session.execute(
        _LOG_LEARNING_TIME,
        {
            "id": uuid.uuid4(),
            "enrollment_id": enrollment_id,
            "lesson_id": lesson_id,
            "seconds": seconds,
            "recorded_at": now,
        },
    )


_MARK_LESSON_COMPLETED = (
    update(_PROGRESS)
    .where(
        _PROGRESS.c.enrollment_id == bindparam("enrollment"),
        _PROGRESS.c.lesson_id == bindparam("lesson"),
        _PROGRESS.c.status != "completed",
    )
    .values(
        status="completed",
        completed_at=_NOW,
        started_at=func.coalesce(_PROGRESS.c.started_at, _NOW),
        completion_percentage=100,
        updated_at=_NOW,
    )
)
# The title and slug of the course whose id is in the given column, as two scalar
# subqueries (the courses module's ``course_label_subqueries``).
CourseLabels = Callable[[ColumnExpressionArgument[uuid.UUID]], tuple[Any, Any]]


@functools.cache
def _count_lesson_completed_statement(labels: CourseLabels) -> Any:
    """On the table, returning columns and the course labels: the usual lesson
    completion is this statement and the mark before it."""
    table = _ENROLLMENTS
    title, slug = labels(table.c.course_id)
    return (
        update(table)
        .where(table.c.id == bindparam("enrollment"))
        .values(
            completed_lessons_count=table.c.completed_lessons_count + 1,
            progress_percentage=_percentage(
                table.c.completed_lessons_count + 1, table.c.total_lessons_count
            ),
            last_accessed_at=_NOW,
            started_at=func.coalesce(table.c.started_at, _NOW),
        )
        .returning(*table.c, title.label("course_title"), slug.label("course_slug"))
    )


# Active with every lesson done: completed by the one statement that finds it so.
_DONE = and_(
    Enrollment.status == "active",
    Enrollment.total_lessons_count > 0,
    Enrollment.completed_lessons_count >= Enrollment.total_lessons_count,
)
_COMPLETE_IF_DONE = (
    update(Enrollment)
    .where(Enrollment.id == bindparam("enrollment"), _DONE)
    .values(status="completed", completed_at=_NOW)
    .returning(Enrollment)
    .execution_options(synchronize_session=False, populate_existing=True)
)


_MARK_OWN_LESSON_COMPLETED = _MARK_LESSON_COMPLETED.where(_OWNED_AND_OPEN)


async def mark_lesson_completed(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    now: datetime,
    student_id: uuid.UUID | None = None,
) -> bool:
    """Flip the lesson to completed; True only for the one request that flipped it. With
    ``student_id``, only if the enrollment is that student's and gives access."""
    params = {"enrollment": enrollment_id, "lesson": lesson_id, "now": now}
    if student_id is None:
        result = await session.execute(_MARK_LESSON_COMPLETED, params)
    else:
        result = await session.execute(
            _MARK_OWN_LESSON_COMPLETED, {**params, "student_id": student_id}
        )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count_lesson_completed(
    session: AsyncSession, *, enrollment_id: uuid.UUID, now: datetime, labels: CourseLabels
) -> Row[*tuple[Any, ...]] | None:
    """Count one more completed lesson; returns the enrollment's row as updated, with
    ``course_title`` and ``course_slug`` (None if there is none). Mapped objects of the
    enrollment already in the session are not refreshed."""
    statement = _count_lesson_completed_statement(labels)
    row: Row[*tuple[Any, ...]] | None = (
        await session.execute(statement, {"enrollment": enrollment_id, "now": now})
    ).first()
    return row


async def complete_if_done(
    session: AsyncSession, *, enrollment_id: uuid.UUID, now: datetime
) -> Enrollment | None:
    """Complete the enrollment if it is active with every lesson done; returns it as
    updated, or None if this statement did not complete it (exactly one does)."""
    enrollment: Enrollment | None = await session.scalar(
        _COMPLETE_IF_DONE, {"enrollment": enrollment_id, "now": now}
    )
    return enrollment


async def finish_completed(
    session: AsyncSession,
    *,
    now: datetime,
    enrollment_id: uuid.UUID | None = None,
    course_id: uuid.UUID | None = None,
) -> list[uuid.UUID]:
    """Mark active enrollments whose every lesson is done as completed; returns the ids
    this statement completed (each id is returned by exactly one transaction)."""
    condition = _DONE
    if enrollment_id is not None:
        condition = and_(condition, Enrollment.id == enrollment_id)
    if course_id is not None:
        condition = and_(condition, Enrollment.course_id == course_id)
    result = await session.execute(
        update(Enrollment)
        .where(condition)
        .values(status="completed", completed_at=now)
        .returning(Enrollment.id)
        .execution_options(synchronize_session=False)
    )
    return list(result.scalars())


async def set_certificate_issued(
    session: AsyncSession, *, enrollment_id: uuid.UUID, issued_at: datetime
) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id, Enrollment.certificate_issued_at.is_(None))
        .values(certificate_issued_at=issued_at)
        .execution_options(synchronize_session=False)
    )


# Adds the course's title and slug to a statement as its last two columns,
# ``course_title`` and ``course_slug``, given the column that holds the course id (the
# courses module's ``with_course_labels``).
LabelJoin = Callable[[Select[*tuple[Any, ...]], ColumnExpressionArgument[uuid.UUID]], Any]


@functools.cache
def _page_statements(
    owner: str, *, with_status: bool
) -> tuple[Select[Enrollment, int], Select[int]]:
    """(page, count) statements of one owner column ("student_id": newest first;
    "course_id": oldest first), composed once per shape; parameters ``owner``,
    ``status``, ``offset`` and ``limit``."""
    column = Enrollment.student_id if owner == "student_id" else Enrollment.course_id
    conditions = [column == bindparam("owner")]
    if with_status:
        conditions.append(Enrollment.status == bindparam("status"))
    order = Enrollment.enrolled_at.desc() if owner == "student_id" else Enrollment.enrolled_at
    # The total rides along with the page (a window count): one statement, not two.
    page = (
        select(Enrollment, func.count().over().label("total"))
        .where(*conditions)
        .order_by(order, Enrollment.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    count = select(func.count(Enrollment.id)).where(*conditions)
    return page, count


@functools.cache
def _labelled_student_page(*, with_status: bool, labels: LabelJoin) -> Any:
    """A student's page as columns (no mapped objects to build), with the window total
    and the course labels; the parameters of ``_page_statements``."""
    table = _ENROLLMENTS
    conditions = [table.c.student_id == bindparam("owner")]
    if with_status:
        conditions.append(table.c.status == bindparam("status"))
    page = (
        select(*table.c, func.count().over().label("total"))
        .where(*conditions)
        .order_by(table.c.enrolled_at.desc(), table.c.id)
        .offset(bindparam("offset"))
        .limit(bindparam("limit"))
    )
    return labels(page, table.c.course_id)


async def _page_rows(
    session: Executor,
    owner: str,
    owner_id: uuid.UUID,
    *,
    status: str | None,
    offset: int,
    limit: int,
    page_statement: Any = None,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    default_page, count_statement = _page_statements(owner, with_status=bool(status))
    params: dict[str, Any] = {"owner": owner_id, "offset": offset, "limit": limit}
    if status:
        params["status"] = status
    statement = default_page if page_statement is None else page_statement
    page = (await session.execute(statement, params)).all()
    if page:
        return page, int(page[0].total)
    total = 0
    if offset:  # past the last page: the window had no row to ride on
        total = int(await session.scalar(count_statement, params) or 0)
    return [], total


async def page_for_student(
    session: AsyncSession, student_id: uuid.UUID, *, status: str | None, offset: int, limit: int
) -> tuple[list[Enrollment], int]:
    rows, total = await _page_rows(
        session, "student_id", student_id, status=status, offset=offset, limit=limit
    )
    return [row[0] for row in rows], total


async def labelled_page_for_student(
    session: Executor,
    student_id: uuid.UUID,
    *,
    labels: LabelJoin,
    status: str | None,
    offset: int,
    limit: int,
) -> tuple[Sequence[Row[*tuple[Any, ...]]], int]:
    """A page of the student's enrollments as rows of columns, each with
    ``course_title`` and ``course_slug``, in one statement."""
    statement = _labelled_student_page(with_status=bool(status), labels=labels)
    return await _page_rows(
        session, "student_id", student_id, status=status, offset=offset, limit=limit,
        page_statement=statement,
    )  # fmt: skip


async def page_for_course(
    session: AsyncSession, course_id: uuid.UUID, *, status: str | None, offset: int, limit: int
) -> tuple[list[Enrollment], int]:
    rows, total = await _page_rows(
        session, "course_id", course_id, status=status, offset=offset, limit=limit
    )
    return [row[0] for row in rows], total


async def course_stats(
    session: AsyncSession, course_id: uuid.UUID, *, active_since: datetime
) -> dict[str, Any]:
    """Counts by status, averages and totals of a course's enrollments, in one query."""

    def count_where(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = (
        await session.execute(
            select(
                func.count(Enrollment.id).label("total"),
                count_where(Enrollment.status == "active").label("active"),
                count_where(Enrollment.status == "completed").label("completed"),
                count_where(Enrollment.status == "dropped").label("dropped"),
                count_where(Enrollment.status == "expired").label("expired"),
                count_where(Enrollment.last_accessed_at >= active_since).label("recent"),
                func.avg(Enrollment.progress_percentage).label("average_progress"),
                func.avg(Enrollment.rating).label("average_rating"),
                func.count(Enrollment.rating).label("ratings"),
                func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("time"),
            ).where(Enrollment.course_id == course_id)
        )
    ).one()
    return dict(row._mapping)


# Periodic emails


async def weekly_activity(
    session: AsyncSession, *, since: datetime
) -> tuple[list[Enrollment], dict[uuid.UUID, int], dict[uuid.UUID, int]]:
    """Enrollments worth a weekly summary (active, or touched since ``since``), and per
    student the lessons completed and seconds learnt since then."""
    enrollments = list(
        await session.scalars(
            select(Enrollment)
            .where((Enrollment.status == "active") | (Enrollment.last_accessed_at >= since))
            .order_by(Enrollment.student_id, Enrollment.enrolled_at)
        )
    )
    completed_rows = await session.execute(
        select(Enrollment.student_id, func.count(LessonProgress.id))
        .join(LessonProgress, LessonProgress.enrollment_id == Enrollment.id)
        .where(LessonProgress.completed_at >= since)
        .group_by(Enrollment.student_id)
    )
    time_rows = await session.execute(
        select(Enrollment.student_id, func.sum(LearningTime.seconds))
        .join(LearningTime, LearningTime.enrollment_id == Enrollment.id)
        .where(LearningTime.recorded_at >= since)
        .group_by(Enrollment.student_id)
    )
    return (
        enrollments,
        {student: int(count) for student, count in completed_rows},
        {student: int(seconds or 0) for student, seconds in time_rows},
    )


async def inactive_enrollments(session: AsyncSession, *, before: datetime) -> list[Enrollment]:
    """Active enrollments nobody has opened since ``before``."""
    return list(
        await session.scalars(
            select(Enrollment)
            .where(
                Enrollment.status == "active",
                func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at) <= before,
            )
            .order_by(Enrollment.enrolled_at)
        )
    )


async def set_review(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    rating: int,
    review: str | None,
    now: datetime,
) -> None:
    await session.execute(
        update(Enrollment)
        .where(Enrollment.id == enrollment_id)
        .values(rating=rating, review=review, reviewed_at=now)
        .execution_options(synchronize_session=False)
    )


async def change_status(
    session: AsyncSession,
    *,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    from_status: str,
    to_status: str,
) -> bool:
    """Move the student's enrollment from one status to another in one statement; False
    when it is not in ``from_status`` (so concurrent changes cannot cross)."""
    result = await session.execute(
        update(Enrollment)
        .where(
            Enrollment.student_id == student_id,
            Enrollment.course_id == course_id,
            Enrollment.status == from_status,
        )
        .values(status=to_status)
        .execution_options(synchronize_session="fetch")
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
