"""The course's team: co-instructors and assistants beside the owner, managed by the
owner and admins (``CoursePolicy.own``), and the hand-over of ownership to a
co-instructor. A student of the course cannot be on its team."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.deps import Principal
from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.modules import users
from lms.modules.courses import repository
from lms.modules.courses.events import CourseOwnershipTransferred, CourseStaffChanged
from lms.modules.courses.models import Course, CourseStaff
from lms.modules.courses.schemas.team import OwnershipTransfer, StaffCreate, StaffRead, StaffUpdate
from lms.modules.courses.service.lookups import is_enrolled, load_managed_course_or_raise
from lms.modules.courses.service.policy import CoursePolicy


class StaffNotFound(NotFound):
    code = "staff_not_found"
    detail = "This user is not on the course's team."


class AlreadyStaff(Conflict):
    code = "already_staff"
    detail = "This user is already on the course's team."


class StudentOfCourse(Conflict):
    code = "student_of_course"
    detail = "A student of the course cannot be on its team."


class UnknownCohorts(RuleViolation):
    code = "unknown_cohort"
    detail = "Every cohort must be a cohort of this course."


class NotCoInstructor(RuleViolation):
    code = "not_co_instructor"
    detail = "Ownership goes only to a co-instructor of the course."


async def _owned_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> Course:
    return await load_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=CoursePolicy.own
    )


async def _member_or_raise(
    session: AsyncSession, course_id: uuid.UUID, user_id: uuid.UUID
) -> CourseStaff:
    member = await repository.get_staff_member(session, course_id=course_id, user_id=user_id)
    if member is None:
        raise StaffNotFound()
    return member


async def _check_cohorts(
    session: AsyncSession, course_id: uuid.UUID, role: str, cohort_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    unique = list(dict.fromkeys(cohort_ids))
    if not unique:
        return unique
    if role != "assistant":
        raise RuleViolation(
            "Only an assistant is assigned to cohorts.", code="cohorts_for_assistants"
        )
    if await repository.count_cohorts_in(session, course_id, unique) != len(unique):
        raise UnknownCohorts()
    return unique


async def list_staff(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> list[StaffRead]:
    """The owner first, then the team in the order it was formed."""
    course = await _owned_course(session, principal, course_id)
    return await _team(session, course)


def _read(
    member: CourseStaff, person: users.UserSummary | None, cohort_ids: list[uuid.UUID]
) -> StaffRead:
    return StaffRead(
        user_id=member.user_id,
        email=person.email if person else "",
        full_name=person.full_name if person else "",
        role=member.role,
        cohort_ids=cohort_ids,
        created_at=member.created_at,
    )


async def add_staff(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, data: StaffCreate
) -> StaffRead:
    """Add an active account to the team (409 if it is already on it or a student of
    the course; 404 if there is no such active account)."""
    course = await _owned_course(session, principal, course_id)
    person: users.UserSummary | None
    if data.user_id is not None:
        person = await users.get_user_summary(session, data.user_id)
    else:
        account = await users.find_account_by_email(session, data.email or "")
        person = await users.get_user_summary(session, account.id) if account else None
    if person is None or not person.is_active:
        raise users.UserNotFound()
    if person.id == course.instructor_id:
        raise AlreadyStaff("This user owns the course.")
    if await repository.get_staff_member(session, course_id=course.id, user_id=person.id):
        raise AlreadyStaff()
    if await is_enrolled(session, user_id=person.id, course_id=course.id):
        raise StudentOfCourse()
    cohort_ids = await _check_cohorts(session, course.id, data.role, data.cohort_ids)
    member = CourseStaff(course_id=course.id, user_id=person.id, role=data.role)
    session.add(member)
    try:
        await session.flush()
    except IntegrityError as exc:  # added by someone else at the same moment
        raise AlreadyStaff() from exc
    await repository.set_assistant_cohorts(session, member.id, cohort_ids)
    await events.publish(
        session,
        CourseStaffChanged(
            course_id=course.id,
            user_id=person.id,
            role_before=None,
            role_after=member.role,
            cohort_ids_after=tuple(cohort_ids),
        ),
    )
    return _read(member, person, cohort_ids)


async def update_staff(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    data: StaffUpdate,
) -> StaffRead:
    """Change a member's role or an assistant's cohorts (a co-instructor has none)."""
    course = await _owned_course(session, principal, course_id)
    member = await _member_or_raise(session, course.id, user_id)
    role = data.role or member.role
    current = (await repository.cohorts_of_staff(session, [member.id]))[member.id]
    wanted = data.cohort_ids if data.cohort_ids is not None else current
    if role != "assistant" and data.cohort_ids is None:
        wanted = []
    cohort_ids = await _check_cohorts(session, course.id, role, wanted)
    role_before = member.role
    member.role = role
    await session.flush()
    await repository.set_assistant_cohorts(session, member.id, cohort_ids)
    await events.publish(
        session,
        CourseStaffChanged(
            course_id=course.id,
            user_id=user_id,
            role_before=role_before,
            role_after=role,
            cohort_ids_before=tuple(current),
            cohort_ids_after=tuple(cohort_ids),
        ),
    )
    return _read(member, await users.get_user_summary(session, user_id), cohort_ids)


async def remove_staff(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, user_id: uuid.UUID
) -> None:
    """Take a member off the team (the owner cannot be removed: hand ownership over)."""
    course = await _owned_course(session, principal, course_id)
    member = await _member_or_raise(session, course.id, user_id)
    role_before = member.role
    await repository.delete_staff_member(session, member.id)
    session.expunge(member)
    await events.publish(
        session,
        CourseStaffChanged(
            course_id=course.id, user_id=user_id, role_before=role_before, role_after=None
        ),
    )


async def transfer_ownership(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, data: OwnershipTransfer
) -> list[StaffRead]:
    """The co-instructor ``user_id`` becomes the owner; the former owner stays on the
    team as a co-instructor. Answers the team as it now is."""
    course = await _owned_course(session, principal, course_id)
    await repository.lock_course(session, course.id)
    member = await repository.get_staff_member(session, course_id=course.id, user_id=data.user_id)
    if member is None or member.role != "co_instructor":
        raise NotCoInstructor()
    former = course.instructor_id
    await repository.delete_staff_member(session, member.id)
    session.expunge(member)
    course.instructor_id = data.user_id
    session.add(CourseStaff(course_id=course.id, user_id=former, role="co_instructor"))
    await session.flush()
    await events.publish(
        session,
        CourseOwnershipTransferred(
            course_id=course.id, previous_owner_id=former, new_owner_id=data.user_id
        ),
    )
    return await _team(session, course)


async def _team(session: AsyncSession, course: Course) -> list[StaffRead]:
    members = await repository.staff_of(session, course.id)
    people = await users.get_user_summaries(
        session, [course.instructor_id, *(m.user_id for m in members)]
    )
    owner = people.get(course.instructor_id)
    found = [
        StaffRead(
            user_id=course.instructor_id,
            email=owner.email if owner else "",
            full_name=owner.full_name if owner else "",
            role="owner",
            cohort_ids=[],
            created_at=None,
        )
    ]
    cohorts = await repository.cohorts_of_staff(session, [m.id for m in members])
    found += [_read(m, people.get(m.user_id), cohorts.get(m.id, [])) for m in members]
    return found


async def put_on_team(
    session: AsyncSession, *, course_id: uuid.UUID, user_id: uuid.UUID, role: str
) -> str:
    """Put the user on the course's team as ``role`` (no authorization: the roster
    import checks its caller): ``created``, ``updated`` (its role changed) or
    ``unchanged``. 409 if the user owns the course or is one of its students."""
    course = await repository.get_course(session, course_id)
    if course is None:
        raise StaffNotFound("No such course.")
    if course.instructor_id == user_id:
        return "unchanged"
    member = await repository.get_staff_member(session, course_id=course_id, user_id=user_id)
    if member is not None:
        if member.role == role:
            return "unchanged"
        member.role = role
        await session.flush()
        if role != "assistant":
            await repository.set_assistant_cohorts(session, member.id, [])
        return "updated"
    if await is_enrolled(session, user_id=user_id, course_id=course_id):
        raise StudentOfCourse()
    session.add(CourseStaff(course_id=course_id, user_id=user_id, role=role))
    await session.flush()
    return "created"
