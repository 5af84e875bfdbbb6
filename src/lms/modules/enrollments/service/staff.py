"""Enrollment by a course's staff (its owner, co-instructors, admins: ``CoursePolicy.
edit``): anyone by account or email, with no payment, optionally into a cohort; an
email without an account gets an invited account and a link to choose a password.
Dropping keeps the progress; reactivating gives the access back; moving between
cohorts keeps the progress too. A cohort's seats are taken and given back through the
courses module, so its capacity holds under concurrent requests (409 ``cohort_full``).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.errors import Conflict
from lms.modules import auth, courses, users
from lms.modules.enrollments import repository
from lms.modules.enrollments.events import EnrollmentDropped, StaffEnrollmentChanged
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.schemas import EnrollmentChange, StaffEnrollmentCreate
from lms.modules.enrollments.service.enrolling import enroll_student
from lms.modules.enrollments.service.lookups import EnrollmentNotFound


class StaffOfCourse(Conflict):
    code = "staff_of_course"
    detail = "A member of the course's team cannot be its student."


class EnrollmentNotDropped(Conflict):
    code = "enrollment_not_dropped"
    detail = "Only a dropped enrollment can be reactivated."


class EnrollmentNotOpen(Conflict):
    code = "enrollment_not_open"
    detail = "Only an active or completed enrollment can be dropped."


async def _tell(
    session: AsyncSession,
    change: str,
    after: Enrollment,
    *,
    status_before: str | None,
    cohort_before: uuid.UUID | None,
) -> None:
    await events.publish(
        session,
        StaffEnrollmentChanged(
            enrollment_id=after.id,
            course_id=after.course_id,
            student_id=after.student_id,
            change=change,
            status_before=status_before,
            status_after=after.status,
            cohort_before=cohort_before,
            cohort_after=after.cohort_id,
        ),
    )


async def _edited_course(
    session: AsyncSession, principal: Principal, course_id: uuid.UUID
) -> courses.CourseSummary:
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    return access.course


async def _course_enrollment(
    session: AsyncSession, course_id: uuid.UUID, enrollment_id: uuid.UUID
) -> Enrollment:
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None or enrollment.course_id != course_id:
        raise EnrollmentNotFound()
    return enrollment


async def place_in_cohort(
    session: AsyncSession,
    *,
    course: courses.CourseSummary,
    enrollment: Enrollment,
    cohort_id: uuid.UUID | None,
) -> Enrollment:
    """Put the enrollment in ``cohort_id`` (None: in none): a seat in the new cohort
    (409 ``cohort_full``), the old one's given back. Progress is untouched."""
    if cohort_id == enrollment.cohort_id:
        return enrollment
    if cohort_id is not None:
        await courses.get_course_cohort_or_raise(session, course_id=course.id, cohort_id=cohort_id)
        if enrollment.status in ("active", "completed"):
            await courses.take_cohort_seat(session, cohort_id)
    if enrollment.cohort_id is not None and enrollment.status in ("active", "completed"):
        await courses.release_cohort_seat(session, enrollment.cohort_id)
    moved = await repository.set_cohort(
        session, enrollment.id, cohort_id, expected=enrollment.cohort_id
    )
    if moved is None:  # moved by another request meanwhile: its seats stand, ours roll back
        raise Conflict("The enrollment changed meanwhile; retry.", code="enrollment_changed")
    return moved


async def enroll_person(
    session: AsyncSession,
    *,
    settings: Settings,
    course: courses.CourseSummary,
    person: users.UserSummary,
    cohort_id: uuid.UUID | None,
    enrolled_by: uuid.UUID,
) -> tuple[Enrollment, bool]:
    """Enroll ``person`` (no payment, published or not) into ``cohort_id``; an existing
    enrollment is returned as it is (False) unless a cohort is asked for, which it
    then moves to. For staff enrollment and imports."""
    if await courses.is_on_team(session, course_id=course.id, user_id=person.id):
        raise StaffOfCourse()
    existing = await repository.get_for(session, student_id=person.id, course_id=course.id)
    if existing is not None:
        if cohort_id is not None and existing.cohort_id != cohort_id:
            existing = await place_in_cohort(
                session, course=course, enrollment=existing, cohort_id=cohort_id
            )
        return existing, False
    if cohort_id is not None:
        # Checked and seated before the enrollment row: a full cohort refuses cleanly.
        await courses.get_course_cohort_or_raise(session, course_id=course.id, cohort_id=cohort_id)
        await courses.take_cohort_seat(session, cohort_id)
    enrollment = await enroll_student(
        session,
        settings=settings,
        student_id=person.id,
        course_id=course.id,
        skip_payment_check=True,
    )
    if cohort_id is not None or enrolled_by != person.id:
        placed = await repository.set_cohort(
            session, enrollment.id, cohort_id, enrolled_by_id=enrolled_by
        )
        assert placed is not None
        enrollment = placed
    return enrollment, True


async def enroll_by_staff(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    course_id: uuid.UUID,
    data: StaffEnrollmentCreate,
) -> tuple[Enrollment, bool]:
    """Enroll by ``user_id`` (an active account, else 404) or ``email`` (an invited
    account is created when none uses it, and invited again while it has no password).
    True when the enrollment is new."""
    course = await _edited_course(session, principal, course_id)
    if data.user_id is not None:
        person = await users.get_user_summary(session, data.user_id)
        if person is None or not person.is_active:
            raise users.UserNotFound()
    else:
        email = str(data.email)
        person, _created = await users.invite_user(
            session, email=email, full_name=data.full_name or email.split("@", 1)[0]
        )
        if not person.is_active:
            raise users.UserNotFound()
    existing = await repository.get_for(session, student_id=person.id, course_id=course.id)
    before = (existing.status, existing.cohort_id) if existing is not None else (None, None)
    enrollment, created = await enroll_person(
        session,
        settings=settings,
        course=course,
        person=person,
        cohort_id=data.cohort_id,
        enrolled_by=principal.id,
    )
    if created or enrollment.cohort_id != before[1]:
        await _tell(
            session,
            "enrolled" if created else "moved",
            enrollment,
            status_before=before[0],
            cohort_before=before[1],
        )
    if person.invited:
        # A new invitation replaces the previous link: re-inviting resends, never adds.
        await auth.queue_invitation(session, user_id=person.id, course_title=course.title)
    return enrollment, created


async def drop_by_staff(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, enrollment_id: uuid.UUID
) -> Enrollment:
    """Drop a student (progress kept; the cohort seat is given back)."""
    course = await _edited_course(session, principal, course_id)
    enrollment = await _course_enrollment(session, course.id, enrollment_id)
    if enrollment.status not in ("active", "completed"):
        raise EnrollmentNotOpen()
    status_before, cohort_before = enrollment.status, enrollment.cohort_id
    changed = await repository.set_status(
        session, enrollment.id, from_status=enrollment.status, to_status="dropped"
    )
    if changed is None:
        raise EnrollmentNotOpen()
    if changed.cohort_id is not None:
        await courses.release_cohort_seat(session, changed.cohort_id)
    await _tell(
        session, "dropped", changed, status_before=status_before, cohort_before=cohort_before
    )
    # The student lost their access, as after a refund: integrators hear it the same way.
    await events.publish(
        session,
        EnrollmentDropped(
            enrollment_id=changed.id, student_id=changed.student_id, course_id=changed.course_id
        ),
    )
    return changed


async def reactivate_by_staff(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, enrollment_id: uuid.UUID
) -> Enrollment:
    """Give a dropped student their access back, with their progress (409
    ``cohort_full`` if their cohort filled up meanwhile)."""
    course = await _edited_course(session, principal, course_id)
    enrollment = await _course_enrollment(session, course.id, enrollment_id)
    if enrollment.status != "dropped":
        raise EnrollmentNotDropped()
    if enrollment.cohort_id is not None:
        await courses.take_cohort_seat(session, enrollment.cohort_id)
    back = "completed" if enrollment.completed_at is not None else "active"
    changed = await repository.set_status(
        session, enrollment.id, from_status="dropped", to_status=back
    )
    if changed is None:
        raise EnrollmentNotDropped()
    await _tell(
        session, "reactivated", changed, status_before="dropped", cohort_before=changed.cohort_id
    )
    return changed


async def change_by_staff(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    data: EnrollmentChange,
) -> Enrollment:
    """Move a student to another cohort (or none); progress is kept."""
    course = await _edited_course(session, principal, course_id)
    enrollment = await _course_enrollment(session, course.id, enrollment_id)
    status_before, cohort_before = enrollment.status, enrollment.cohort_id
    moved = await place_in_cohort(
        session, course=course, enrollment=enrollment, cohort_id=data.cohort_id
    )
    if moved.cohort_id != cohort_before:
        await _tell(
            session, "moved", moved, status_before=status_before, cohort_before=cohort_before
        )
    return moved


async def enroll_from_roster(
    session: AsyncSession,
    *,
    settings: Settings,
    course: courses.CourseSummary,
    person: users.UserSummary,
    cohort_id: uuid.UUID | None,
    enrolled_by: uuid.UUID,
) -> str:
    """A roster import's enrollment: ``created``, ``updated`` (moved to ``cohort_id``,
    or reactivated) or ``unchanged``. No authorization: the import checks its caller."""
    existing = await repository.get_for(session, student_id=person.id, course_id=course.id)
    if existing is None:
        await enroll_person(
            session,
            settings=settings,
            course=course,
            person=person,
            cohort_id=cohort_id,
            enrolled_by=enrolled_by,
        )
        return "created"
    if await courses.is_on_team(session, course_id=course.id, user_id=person.id):
        raise StaffOfCourse()
    if cohort_id is not None and existing.cohort_id != cohort_id:
        await place_in_cohort(session, course=course, enrollment=existing, cohort_id=cohort_id)
        return "updated"
    return "unchanged"
