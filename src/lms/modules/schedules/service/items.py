"""Setting an item's schedule and its overrides (the course's editors; its whole team
reads them), and reading the schedule that applies to one student.

The routes live with the item's owner (``/quizzes/{id}/schedule`` in the quizzes
module, ``/lessons/{id}/schedule`` in assignments): it finds the item and what the
caller is to its course, then calls these functions with an ``ItemRef`` and the
caller's ``CourseAccess``."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.modules import courses, enrollments
from lms.modules.schedules import repository
from lms.modules.schedules.models import ItemSchedule, ScheduleOverride
from lms.modules.schedules.schemas import ItemRef, OverrideIn, ScheduleIn
from lms.modules.schedules.service.rules import EffectiveSchedule


class ScheduleNotFound(NotFound):
    code = "schedule_not_found"
    detail = "This item has no schedule."


class OverrideNotFound(NotFound):
    code = "override_not_found"
    detail = "No override with this id for this item."


class OverrideExists(Conflict):
    code = "override_exists"
    detail = "This student or cohort already has an override for this item: delete it first."


class OverrideNotApplicable(RuleViolation):
    code = "override_not_applicable"
    detail = "An assignment has no attempts or time limit: override its dates only."


class OverrideTargetNotFound(NotFound):
    code = "override_target_not_found"
    detail = "The student is not enrolled in this course, or the cohort is not one of its cohorts."


def _may_edit(access: courses.CourseAccess) -> None:
    courses.authorize(courses.CoursePolicy.edit(access))


def _may_read(access: courses.CourseAccess) -> None:
    courses.authorize(courses.CoursePolicy.is_staff(access))


async def get_schedule_or_raise(
    session: AsyncSession, *, item: ItemRef, access: courses.CourseAccess
) -> ItemSchedule:
    """The item's schedule (its team reads it): 404 ``schedule_not_found`` if none."""
    _may_read(access)
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id
    )
    if schedule is None:
        raise ScheduleNotFound()
    return schedule


async def _schedule_row(session: AsyncSession, item: ItemRef) -> tuple[ItemSchedule, bool]:
    """The item's schedule row, created empty (no dates, ``accept``) if it has none;
    and whether it was created now."""
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id, lock=True
    )
    if schedule is not None:
        return schedule, False
    schedule = ItemSchedule(
        item_type=item.item_type, item_id=item.item_id, course_id=item.course_id, title=item.title
    )
    try:
        async with session.begin_nested():
            session.add(schedule)
            await session.flush()
    except IntegrityError:
        # A concurrent request created it first: use that one.
        found = await repository.get_schedule(
            session, item_type=item.item_type, item_id=item.item_id, lock=True
        )
        if found is None:
            raise Conflict("The schedule changed at the same moment; retry.") from None
        return found, False
    return schedule, True


async def set_schedule(
    session: AsyncSession, *, item: ItemRef, access: courses.CourseAccess, data: ScheduleIn
) -> tuple[ItemSchedule, bool]:
    """Set (replace) the item's dates and late policy (the course's editors). Returns
    the schedule and whether it is new. Existing overrides stay."""
    _may_edit(access)
    schedule, created = await _schedule_row(session, item)
    for field, value in data.model_dump().items():
        setattr(schedule, field, value)
    schedule.title = item.title
    await session.flush()
    return schedule, created


async def clear_schedule(
    session: AsyncSession, *, item: ItemRef, access: courses.CourseAccess
) -> None:
    """Remove the item's schedule with its overrides and reminders (the course's
    editors): 404 ``schedule_not_found`` if it has none."""
    _may_edit(access)
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id, lock=True
    )
    if schedule is None:
        raise ScheduleNotFound()
    await repository.delete_schedule(session, schedule.id)


async def rename_item(session: AsyncSession, item: ItemRef) -> None:
    """The item's title changed: calendars and reminders name it so from now on."""
    await repository.set_title(
        session, item_type=item.item_type, item_id=item.item_id, title=item.title
    )


async def has_schedule(session: AsyncSession, item: ItemRef) -> bool:
    """Does the item still have a schedule row (dates, policy or overrides)?"""
    found = await repository.get_schedule(session, item_type=item.item_type, item_id=item.item_id)
    return found is not None


# --- overrides ---------------------------------------------------------------------------


async def list_overrides(
    session: AsyncSession, *, item: ItemRef, access: courses.CourseAccess
) -> list[ScheduleOverride]:
    """The item's overrides (its team reads them); none without a schedule."""
    _may_read(access)
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id
    )
    if schedule is None:
        return []
    return await repository.list_overrides(session, schedule.id)


async def add_override(
    session: AsyncSession, *, item: ItemRef, access: courses.CourseAccess, data: OverrideIn
) -> ScheduleOverride:
    """Give one enrolled student or one cohort of the course other dates, attempts or
    time limit (the course's editors). The item gets an empty schedule if it had none.
    404 ``override_target_not_found`` for a student not enrolled or a cohort of another
    course; 409 ``override_exists`` if the student or cohort already has one."""
    _may_edit(access)
    if item.item_type == "assignment" and (
        data.max_attempts is not None or data.time_limit_minutes is not None
    ):
        raise OverrideNotApplicable()
    if data.student_id is not None:
        enrollment = await enrollments.get_enrollment_for(
            session, student_id=data.student_id, course_id=item.course_id
        )
        if enrollment is None:
            raise OverrideTargetNotFound()
    elif data.cohort_id is not None:
        found = await courses.get_cohorts(session, [data.cohort_id])
        if data.cohort_id not in found or found[data.cohort_id].course_id != item.course_id:
            raise OverrideTargetNotFound()
    schedule, _ = await _schedule_row(session, item)
    override = ScheduleOverride(schedule_id=schedule.id, **data.model_dump())
    try:
        async with session.begin_nested():
            session.add(override)
            await session.flush()
    except IntegrityError as exc:
        raise OverrideExists() from exc
    return override


async def get_override_or_raise(
    session: AsyncSession,
    *,
    item: ItemRef,
    access: courses.CourseAccess,
    override_id: uuid.UUID,
) -> ScheduleOverride:
    """One override of the item (its team reads it): 404 ``override_not_found``."""
    _may_read(access)
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id
    )
    override = (
        await repository.get_override(session, schedule_id=schedule.id, override_id=override_id)
        if schedule is not None
        else None
    )
    if override is None:
        raise OverrideNotFound()
    return override


async def remove_override(
    session: AsyncSession,
    *,
    item: ItemRef,
    access: courses.CourseAccess,
    override_id: uuid.UUID,
) -> None:
    """Delete one override (the course's editors): 404 ``override_not_found``."""
    _may_edit(access)
    schedule = await repository.get_schedule(
        session, item_type=item.item_type, item_id=item.item_id
    )
    if schedule is None:
        raise OverrideNotFound()
    override = await repository.get_override(
        session, schedule_id=schedule.id, override_id=override_id
    )
    if override is None:
        raise OverrideNotFound()
    await repository.delete_override(session, override.id)


# --- what applies to one student ---------------------------------------------------------


def merge(schedule: ItemSchedule, *overrides: Any) -> EffectiveSchedule:
    """The schedule with ``overrides`` laid over it, most specific first: for each
    field the first override that sets it wins, else the schedule's value."""

    def pick(field: str, default: Any) -> Any:
        for override in overrides:
            value = getattr(override, field, None) if override is not None else None
            if value is not None:
                return value
        return default

    return EffectiveSchedule(
        available_from=pick("available_from", schedule.available_from),
        due_at=pick("due_at", schedule.due_at),
        available_until=pick("available_until", schedule.available_until),
        late_policy=schedule.late_policy,
        penalty_percent_per_day=schedule.penalty_percent_per_day,
        penalty_floor_percent=schedule.penalty_floor_percent,
        max_attempts=pick("max_attempts", None),
        time_limit_minutes=pick("time_limit_minutes", None),
    )


class _Fields:
    """One override's fields read from a row (all None when the join found none)."""

    def __init__(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(repository.OVERRIDE_FIELDS, values, strict=True):
            setattr(self, name, value)


async def schedule_for_student(
    session: AsyncSession, *, item_type: str, item_id: uuid.UUID, student_id: uuid.UUID
) -> EffectiveSchedule | None:
    """The item's schedule as it applies to the student (their override over their
    cohort's over the item's), in one indexed statement; None when the item has no
    schedule."""
    row = await repository.effective_row(
        session,
        item_type=item_type,
        item_id=item_id,
        student_id=student_id,
        cohort_of_student=enrollments.student_cohort_id(student_id, ItemSchedule.course_id),
    )
    if row is None:
        return None
    width = len(repository.OVERRIDE_FIELDS)
    schedule: ItemSchedule = row[0]
    student = _Fields(tuple(row[1 : 1 + width]))
    cohort = _Fields(tuple(row[1 + width : 1 + 2 * width]))
    return merge(schedule, student, cohort)
