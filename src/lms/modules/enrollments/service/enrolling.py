"""Enrolling (free, or paid: the payments module answers whether the student has paid),
dropping and reactivating."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import AppError, Conflict
from lms.modules import courses, emails, users
from lms.modules.enrollments import repository
from lms.modules.enrollments.events import EnrollmentCreated, EnrollmentDropped, PaidAccessAsked
from lms.modules.enrollments.models import Enrollment


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    detail = "You are already enrolled in this course."


class PaymentRequired(AppError):
    status = 402
    code = "payment_required"
    detail = "This course is paid: complete a payment (or subscription) to enroll."

    def __init__(self) -> None:
        super().__init__(extra={"title": "Payment Required"})


async def has_paid_access(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Has the student paid for (or subscribed to) this course? Asks the modules that
    know (``PaidAccessAsked``: the payments module); False when none says yes."""
    return await events.ask(session, PaidAccessAsked(student_id=student_id, course_id=course_id))


def course_url(settings: Settings, course: courses.CourseSummary) -> str:
    """The course's public page, for links in emails."""
    return f"{settings.public_base_url.rstrip('/')}/courses/{course.slug}"


async def _enroll(
    session: AsyncSession,
    *,
    settings: Settings,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    skip_payment_check: bool,
) -> Enrollment:
    # Shared lock: enrollments proceed side by side, a lesson being added waits (and
    # vice versa), so every enrollment gets a progress row for every lesson.
    if not await courses.lock_course(session, course_id, shared=True):
        raise courses.CourseNotFound()
    course = await courses.get_course_or_raise(session, course_id)
    if not skip_payment_check:
        if not course.is_published:
            raise courses.CourseNotFound("No published course with this id.")
        if course.price > 0 and not await has_paid_access(
            session, student_id=student_id, course_id=course.id
        ):
            raise PaymentRequired()
    student = await users.get_user_summary_or_raise(session, student_id)
    lesson_ids = await courses.list_lesson_ids(session, course.id)
    enrollment = Enrollment(
        student_id=student_id,
        course_id=course.id,
        status="active",
        enrolled_at=utcnow(),
        total_lessons_count=len(lesson_ids),
        completed_lessons_count=0,
        total_time_spent_seconds=0,
    )
    session.add(enrollment)
    try:
        await session.flush()
    except IntegrityError as exc:  # a concurrent request enrolled the same student
        raise AlreadyEnrolled() from exc
    await repository.add_progress_rows(session, [(enrollment.id, lid) for lid in lesson_ids])
    await events.publish(
        session,
        EnrollmentCreated(
            enrollment_id=enrollment.id,
            student_id=student_id,
            course_id=course.id,
            enrolled_at=enrollment.enrolled_at,
        ),
    )
    await emails.queue_email(
        session,
        to=student.email,
        template="course_enrolled",
        context={
            "full_name": student.full_name,
            "course_title": course.title,
            "course_url": course_url(settings, course),
        },
    )
    return enrollment


async def enroll(
    session: AsyncSession, *, settings: Settings, principal: Principal, course_id: uuid.UUID
) -> Enrollment:
    """The caller enrolls in a published course: 404 for an unknown or unpublished course,
    402 for a paid one without paid access, 409 when already enrolled."""
    if await repository.get_for(session, student_id=principal.id, course_id=course_id):
        raise AlreadyEnrolled()
    if await courses.is_on_team(session, course_id=course_id, user_id=principal.id):
        raise Conflict(
            "A member of the course's team cannot be its student.", code="staff_of_course"
        )
    return await _enroll(
        session,
        settings=settings,
        student_id=principal.id,
        course_id=course_id,
        skip_payment_check=False,
    )


async def enroll_student(
    session: AsyncSession,
    *,
    settings: Settings,
    student_id: uuid.UUID,
    course_id: uuid.UUID,
    skip_payment_check: bool = False,
) -> Enrollment:
    """Enroll a student (idempotent: an existing enrollment is returned as it is).

    A succeeded payment enrolls with ``skip_payment_check=True`` (``flows``): then
    neither the price nor the published state is checked, so a paid seat is honoured
    even if the course was unpublished meanwhile.
    Creates a progress row per lesson and queues the course-enrolled email. If another
    transaction enrolls the same student at the same moment, raises ``AlreadyEnrolled``
    (409); a retry then returns that enrollment."""
    existing = await repository.get_for(session, student_id=student_id, course_id=course_id)
    if existing is not None:
        return existing
    return await _enroll(
        session,
        settings=settings,
        student_id=student_id,
        course_id=course_id,
        skip_payment_check=skip_payment_check,
    )


async def drop_enrollment(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Take an active enrollment's access away (a refunded purchase). A completed
    enrollment stays completed: its certificate was earned. True if it was dropped."""
    dropped = await repository.change_status(
        session,
        student_id=student_id,
        course_id=course_id,
        from_status="active",
        to_status="dropped",
    )
    if dropped is None:
        return False
    await events.publish(
        session,
        EnrollmentDropped(enrollment_id=dropped, student_id=student_id, course_id=course_id),
    )
    return True


async def reactivate_enrollment(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """Give a dropped enrollment its access back (paid for again). True if it changed."""
    changed = await repository.change_status(
        session,
        student_id=student_id,
        course_id=course_id,
        from_status="dropped",
        to_status="active",
    )
    return changed is not None
