"""Finding an enrollment, and who may see or act on it."""

from __future__ import annotations

import uuid

from sqlalchemy import ColumnExpressionArgument, ScalarSelect
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound, RuleViolation
from lms.modules import courses
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import ACCESS_STATUSES, Enrollment


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    detail = "No enrollment with this id."


class EnrollmentClosed(RuleViolation):
    code = "enrollment_not_active"
    detail = "This enrollment is dropped or expired."


async def get_enrollment_for(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> Enrollment | None:
    """The student's enrollment in the course, whatever its status, or None."""
    return await repository.get_for(session, student_id=student_id, course_id=course_id)


def enrollment_subqueries(
    student_id: ColumnExpressionArgument[uuid.UUID], course_id: ColumnExpressionArgument[uuid.UUID]
) -> tuple[ScalarSelect[uuid.UUID], ScalarSelect[str]]:
    """The id and the status of the student's enrollment in the course (NULL when there is
    none), as scalar subqueries for another module's statement."""
    return repository.enrollment_subqueries(student_id, course_id)


async def get_enrollment_or_raise(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound()
    return enrollment


async def visible_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    """The enrollment for its student, the course's instructor or an admin; 404 for
    anyone else, so ids of other students' enrollments reveal nothing."""
    enrollment = await get_enrollment_or_raise(session, enrollment_id)
    if enrollment.student_id == principal.id or principal.is_admin:
        return enrollment
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    if courses.is_course_owner_or_admin(principal, course):
        return enrollment
    raise EnrollmentNotFound()


async def own_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    """The caller's own open enrollment: 404 as ``visible_enrollment``, 403 for the
    course's instructor or an admin, 422 when it is dropped or expired."""
    enrollment = await visible_enrollment(session, principal, enrollment_id)
    if enrollment.student_id != principal.id:
        raise Forbidden(
            "Only the enrolled student records progress or reviews.",
            code="not_enrollment_owner",
        )
    if enrollment.status not in ACCESS_STATUSES:
        raise EnrollmentClosed()
    return enrollment
