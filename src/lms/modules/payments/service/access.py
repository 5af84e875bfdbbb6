"""What payments answer other modules, subscribed in ``lms/wiring.py``: whether a
student has paid for a course (directly or through a subscription), which the
enrollments module asks before it enrolls a student in a paid course; and the guard that
keeps a course someone has paid for from being deleted.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.modules import courses, enrollments
from lms.modules.payments import repository
from lms.modules.payments.service.errors import CourseHasPayments


async def has_paid_for_course(session: AsyncSession, question: enrollments.PaidAccessAsked) -> bool:
    """A succeeded (not fully refunded) payment for the course, or a subscription that
    is active or trialing and whose current period covers now."""
    student_id, course_id = question.student_id, question.course_id
    if await repository.has_succeeded_payment(session, user_id=student_id, course_id=course_id):
        return True
    return await repository.has_granting_subscription(session, user_id=student_id, now=utcnow())


async def refuse_deleting_paid_course(session: AsyncSession, event: courses.CourseDeleting) -> None:
    """A course someone has started paying for (whatever came of it) is not deleted:
    409."""
    if await repository.course_has_payments(session, event.course_id):
        raise CourseHasPayments()
