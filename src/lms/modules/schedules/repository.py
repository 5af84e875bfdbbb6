"""SQL of schedules, overrides, reminders and calendar feeds."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, delete, or_, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from lms.modules.schedules.models import CalendarFeed, DueReminder, ItemSchedule, ScheduleOverride

_STUDENT = aliased(ScheduleOverride, name="student_override")
_COHORT = aliased(ScheduleOverride, name="cohort_override")
OVERRIDE_FIELDS = (
    "available_from",
    "due_at",
    "available_until",
    "max_attempts",
    "time_limit_minutes",
)


# --- schedules and overrides -------------------------------------------------------------


async def get_schedule(
    session: AsyncSession, *, item_type: str, item_id: uuid.UUID, lock: bool = False
) -> ItemSchedule | None:
    statement = select(ItemSchedule).where(
        ItemSchedule.item_type == item_type, ItemSchedule.item_id == item_id
    )
    if lock:
        statement = statement.with_for_update()
    result: ItemSchedule | None = await session.scalar(statement)
    return result


async def set_title(
    session: AsyncSession, *, item_type: str, item_id: uuid.UUID, title: str
) -> None:
    await session.execute(
        update(ItemSchedule)
        .where(ItemSchedule.item_type == item_type, ItemSchedule.item_id == item_id)
        .values(title=title)
    )


async def delete_schedule(session: AsyncSession, schedule_id: uuid.UUID) -> None:
    await session.execute(
        delete(ScheduleOverride).where(ScheduleOverride.schedule_id == schedule_id)
    )
    await session.execute(delete(DueReminder).where(DueReminder.schedule_id == schedule_id))
    await session.execute(delete(ItemSchedule).where(ItemSchedule.id == schedule_id))


async def effective_row(
    session: AsyncSession,
    *,
    item_type: str,
    item_id: uuid.UUID,
    student_id: uuid.UUID,
    cohort_of_student: Any,
) -> Row[Any] | None:
    """The item's schedule with the student's override and their cohort's, in one
    statement (``cohort_of_student``: a scalar subquery over the schedule's course)."""
    statement = (
        select(
            ItemSchedule,
            *(getattr(_STUDENT, name) for name in OVERRIDE_FIELDS),
            *(getattr(_COHORT, name) for name in OVERRIDE_FIELDS),
        )
        .outerjoin(
            _STUDENT,
            and_(_STUDENT.schedule_id == ItemSchedule.id, _STUDENT.student_id == student_id),
        )
        .outerjoin(
            _COHORT,
            and_(_COHORT.schedule_id == ItemSchedule.id, _COHORT.cohort_id == cohort_of_student),
        )
        .where(ItemSchedule.item_type == item_type, ItemSchedule.item_id == item_id)
    )
    return (await session.execute(statement)).first()


async def list_overrides(session: AsyncSession, schedule_id: uuid.UUID) -> list[ScheduleOverride]:
    return list(
        await session.scalars(
            select(ScheduleOverride)
            .where(ScheduleOverride.schedule_id == schedule_id)
            .order_by(ScheduleOverride.created_at, ScheduleOverride.id)
        )
    )


async def get_override(
    session: AsyncSession, *, schedule_id: uuid.UUID, override_id: uuid.UUID
) -> ScheduleOverride | None:
    result: ScheduleOverride | None = await session.scalar(
        select(ScheduleOverride).where(
            ScheduleOverride.id == override_id, ScheduleOverride.schedule_id == schedule_id
        )
    )
    return result


async def delete_override(session: AsyncSession, override_id: uuid.UUID) -> None:
    await session.execute(delete(ScheduleOverride).where(ScheduleOverride.id == override_id))


async def overrides_for(
    session: AsyncSession,
    *,
    schedule_ids: Collection[uuid.UUID],
    student_ids: Collection[uuid.UUID] | None = None,
    cohort_ids: Collection[uuid.UUID] | None = None,
) -> list[ScheduleOverride]:
    """The overrides of these schedules for these students or cohorts (every one of
    the schedules' overrides when both are None)."""
    if not schedule_ids:
        return []
    statement = select(ScheduleOverride).where(ScheduleOverride.schedule_id.in_(schedule_ids))
    if student_ids is not None or cohort_ids is not None:
        targets: list[ColumnElement[bool]] = []
        if student_ids:
            targets.append(ScheduleOverride.student_id.in_(student_ids))
        if cohort_ids:
            targets.append(ScheduleOverride.cohort_id.in_(cohort_ids))
        if not targets:
            return []
        statement = statement.where(or_(*targets))
    return list(await session.scalars(statement))


async def schedules_of_courses(
    session: AsyncSession, *, course_ids: Collection[uuid.UUID], listed: ColumnElement[bool]
) -> list[tuple[ItemSchedule, str]]:
    """The listed schedules of these courses, each with its title (``title_of``)."""
    if not course_ids:
        return []
    rows = await session.execute(
        select(ItemSchedule).where(ItemSchedule.course_id.in_(course_ids), listed)
    )
    return [(row[0], row[0].title) for row in rows]


async def schedules_due_between(
    session: AsyncSession,
    *,
    after: datetime,
    until: datetime,
    listed: ColumnElement[bool],
) -> list[ItemSchedule]:
    """Listed schedules whose own due date or one of whose overrides' falls in
    (``after``, ``until``]."""
    overridden = select(ScheduleOverride.schedule_id).where(
        ScheduleOverride.due_at > after, ScheduleOverride.due_at <= until
    )
    return list(
        await session.scalars(
            select(ItemSchedule).where(
                or_(
                    and_(ItemSchedule.due_at > after, ItemSchedule.due_at <= until),
                    ItemSchedule.id.in_(overridden),
                ),
                listed,
            )
        )
    )


# --- reminders ---------------------------------------------------------------------------


def _insert_ignoring_duplicates(session: AsyncSession) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(DueReminder).on_conflict_do_nothing()
    return sqlite.insert(DueReminder).on_conflict_do_nothing()


async def claim_reminders(
    session: AsyncSession,
    rows: list[tuple[uuid.UUID, uuid.UUID, datetime]],
    *,
    at: datetime,
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Record the reminders of these (schedule, student, due date) rows in one
    statement; returns the (schedule, student) pairs recorded now (not before)."""
    if not rows:
        return set()
    result = await session.execute(
        _insert_ignoring_duplicates(session)
        .values(
            [
                {"schedule_id": schedule_id, "student_id": student_id, "due_at": due, "sent_at": at}
                for schedule_id, student_id, due in rows
            ]
        )
        .returning(DueReminder.schedule_id, DueReminder.student_id)
    )
    return {(row.schedule_id, row.student_id) for row in result}


async def reminded_students(
    session: AsyncSession, schedule_ids: Collection[uuid.UUID]
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    if not schedule_ids:
        return set()
    rows = await session.execute(
        select(DueReminder.schedule_id, DueReminder.student_id).where(
            DueReminder.schedule_id.in_(schedule_ids)
        )
    )
    return {(row.schedule_id, row.student_id) for row in rows}


async def handed_in(
    session: AsyncSession,
    *,
    pairs: Collection[tuple[uuid.UUID, uuid.UUID]],
    condition: Any,
) -> set[tuple[uuid.UUID, uuid.UUID]]:
    """Of these recorded (schedule, student) reminders, those whose student has handed
    the item in (``condition(item_type, item_id, student_id)``: the owners' answer in
    SQL), in one statement."""
    if not pairs:
        return set()
    rows = await session.execute(
        select(DueReminder.schedule_id, DueReminder.student_id)
        .join(ItemSchedule, ItemSchedule.id == DueReminder.schedule_id)
        .where(
            tuple_(DueReminder.schedule_id, DueReminder.student_id).in_(list(pairs)),
            condition(ItemSchedule.item_type, ItemSchedule.item_id, DueReminder.student_id),
        )
    )
    return {(row.schedule_id, row.student_id) for row in rows}


# --- calendar feeds ----------------------------------------------------------------------


async def get_feed(session: AsyncSession, user_id: uuid.UUID) -> CalendarFeed | None:
    return await session.get(CalendarFeed, user_id)


async def find_feed(session: AsyncSession, token: str) -> CalendarFeed | None:
    result: CalendarFeed | None = await session.scalar(
        select(CalendarFeed).where(CalendarFeed.token == token)
    )
    return result


async def set_feed_token(
    session: AsyncSession, *, user_id: uuid.UUID, token: str, at: datetime
) -> None:
    await session.execute(
        update(CalendarFeed)
        .where(CalendarFeed.user_id == user_id)
        .values(token=token, created_at=at)
    )
