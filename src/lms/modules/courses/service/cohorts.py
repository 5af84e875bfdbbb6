"""Cohorts: groups of a course's students, each with optional dates and capacity.
Created and changed by those who edit the course (``CoursePolicy.edit``), read by its
whole team. Seats are taken and given back by the enrollments module through
``take_cohort_seat`` and ``release_cohort_seat``."""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.modules.courses import repository
from lms.modules.courses.models import Cohort
from lms.modules.courses.schemas.team import CohortCreate, CohortSummary, CohortUpdate
from lms.modules.courses.service.lookups import Rule, load_managed_course_or_raise
from lms.modules.courses.service.policy import CoursePolicy


class CohortNotFound(NotFound):
    code = "cohort_not_found"
    detail = "No cohort with this id in this course."


class CohortFull(Conflict):
    code = "cohort_full"
    detail = "The cohort is full."


class CohortNameTaken(Conflict):
    code = "cohort_name_taken"
    detail = "The course already has a cohort with this name."


class CohortNotEmpty(Conflict):
    code = "cohort_not_empty"
    detail = "The cohort still has students: move them to another cohort first."


class CapacityBelowMembers(Conflict):
    code = "capacity_below_members"
    detail = "The cohort already has more students than this capacity."


def cohort_summary_of(cohort: Cohort) -> CohortSummary:
    return CohortSummary(
        id=cohort.id,
        course_id=cohort.course_id,
        name=cohort.name,
        capacity=cohort.capacity,
        starts_on=cohort.starts_on,
        ends_on=cohort.ends_on,
    )


async def get_cohorts(
    session: AsyncSession, cohort_ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, CohortSummary]:
    """The cohorts with these ids (missing ones left out), in one query."""
    return {
        cohort.id: cohort_summary_of(cohort)
        for cohort in await repository.get_cohorts(session, list(cohort_ids))
    }


async def _cohort_of(
    session: AsyncSession,
    principal: Principal,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID,
    rule: Rule = CoursePolicy.edit,
) -> Cohort:
    course = await load_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=rule
    )
    cohort = await repository.get_cohort(session, cohort_id)
    if cohort is None or cohort.course_id != course.id:
        raise CohortNotFound()
    return cohort


async def _flush_or_name_taken(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:
        raise CohortNameTaken() from exc


async def list_cohorts(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> list[Cohort]:
    """The course's cohorts by name (its whole team and admins)."""
    course = await load_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=CoursePolicy.read_roster
    )
    return await repository.cohorts_of(session, course.id)


async def get_cohort(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, cohort_id: uuid.UUID
) -> Cohort:
    return await _cohort_of(session, principal, course_id, cohort_id, CoursePolicy.read_roster)


async def create_cohort(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, data: CohortCreate
) -> Cohort:
    course = await load_managed_course_or_raise(session, principal=principal, course_id=course_id)
    if data.name.casefold() in await repository.cohorts_by_name(session, course.id):
        raise CohortNameTaken()
    cohort = Cohort(course_id=course.id, member_count=0, **data.model_dump())
    session.add(cohort)
    await _flush_or_name_taken(session)
    return cohort


async def update_cohort(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID,
    data: CohortUpdate,
) -> Cohort:
    cohort = await _cohort_of(session, principal, course_id, cohort_id)
    await session.refresh(cohort, with_for_update=True)
    changes = data.model_dump(exclude_unset=True)
    new_name = changes.get("name", cohort.name).casefold()
    if new_name != cohort.name.casefold() and new_name in await repository.cohorts_by_name(
        session, cohort.course_id
    ):
        raise CohortNameTaken()
    capacity = changes.get("capacity", cohort.capacity)
    if capacity is not None and capacity < cohort.member_count:
        raise CapacityBelowMembers()
    starts_on = changes.get("starts_on", cohort.starts_on)
    ends_on = changes.get("ends_on", cohort.ends_on)
    if starts_on and ends_on and starts_on > ends_on:
        raise RuleViolation("starts_on must not be after ends_on.", code="dates_out_of_order")
    for field, value in changes.items():
        setattr(cohort, field, value)
    await _flush_or_name_taken(session)
    return cohort


async def delete_cohort(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, cohort_id: uuid.UUID
) -> None:
    """Delete an empty cohort (409 while it has students)."""
    cohort = await _cohort_of(session, principal, course_id, cohort_id)
    await session.refresh(cohort, with_for_update=True)
    if cohort.member_count > 0:
        raise CohortNotEmpty()
    await session.delete(cohort)
    await session.flush()


# For the enrollments module


async def get_course_cohort_or_raise(
    session: AsyncSession, *, course_id: uuid.UUID, cohort_id: uuid.UUID
) -> CohortSummary:
    """The cohort if it belongs to the course (404 ``cohort_not_found`` otherwise)."""
    cohort = await repository.get_cohort(session, cohort_id)
    if cohort is None or cohort.course_id != course_id:
        raise CohortNotFound()
    return cohort_summary_of(cohort)


async def cohort_ids_by_name(session: AsyncSession, course_id: uuid.UUID) -> dict[str, uuid.UUID]:
    """The course's cohorts by case-folded name."""
    return await repository.cohorts_by_name(session, course_id)


async def take_cohort_seat(session: AsyncSession, cohort_id: uuid.UUID) -> None:
    """One seat in the cohort, or 409 ``cohort_full``; exact under concurrent calls."""
    if not await repository.take_cohort_seat(session, cohort_id):
        raise CohortFull()


async def take_cohort_seats(session: AsyncSession, cohort_id: uuid.UUID, count: int) -> bool:
    """``count`` seats in the cohort at once if they all fit (a bulk import); False
    (nothing taken) otherwise. Exact under concurrent calls."""
    return await repository.take_cohort_seats(session, cohort_id, count)


async def release_cohort_seat(session: AsyncSession, cohort_id: uuid.UUID) -> None:
    await repository.release_cohort_seat(session, cohort_id)
