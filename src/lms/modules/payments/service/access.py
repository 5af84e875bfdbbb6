"""What payments tell other modules: whether a student has paid for a course (directly
or through a subscription), and whether a course has payments at all.

The enrollments module asks ``has_paid_access`` before enrolling a student in a paid
course, and the courses module refuses to delete a course that students have paid for;
both are registered with those modules when this file is imported.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.modules import courses
from lms.modules.enrollments import service as enrollments
from lms.modules.payments import repository
from lms.modules.payments.service.errors import CourseHasPayments


async def has_paid_access(
    session: AsyncSession, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """A succeeded (not fully refunded) payment for the course, or a subscription that
    is active or trialing and whose current period covers now."""
    if await repository.has_succeeded_payment(session, user_id=student_id, course_id=course_id):
        return True
    return await repository.has_granting_subscription(session, user_id=student_id, now=utcnow())


async def course_has_payments(session: AsyncSession, course_id: uuid.UUID) -> bool:
    """Whether anyone has ever started paying for the course (whatever came of it)."""
    return await repository.course_has_payments(session, course_id)


async def refuse_deleting_paid_course(session: AsyncSession, event: courses.CourseDeleting) -> None:
    """A course someone has started paying for is not deleted: 409 (a guard on
    ``courses.CourseDeleting``)."""
    if await repository.course_has_payments(session, event.course_id):
        raise CourseHasPayments()


enrollments.register_paid_access_checker(has_paid_access)
