"""Finding an enrollment, who may see or act on it, and the access rule as SQL for other
modules' statements.

``load_*`` return this module's mapped objects, for its own use cases; the others return
``EnrollmentSummary``, for other modules (built from the object already loaded: the
same statements).
"""

from __future__ import annotations

import uuid
from collections.abc import Collection

from sqlalchemy import ColumnElement, ColumnExpressionArgument, ScalarSelect, Subquery
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound, RuleViolation
from lms.modules import courses
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.schemas import ACCESS_STATUSES, EnrollmentSummary


class EnrollmentNotFound(NotFound):
    code = "enrollment_not_found"
    detail = "No enrollment with this id."


class EnrollmentClosed(RuleViolation):
    code = "enrollment_not_active"
    detail = "This enrollment is dropped or expired."


def summary_of(enrollment: Enrollment) -> EnrollmentSummary:
    return EnrollmentSummary(
        id=enrollment.id,
        student_id=enrollment.student_id,
        course_id=enrollment.course_id,
        status=enrollment.status,
        enrolled_at=enrollment.enrolled_at,
        completed_at=enrollment.completed_at,
        certificate_issued_at=enrollment.certificate_issued_at,
        cohort_id=enrollment.cohort_id,
    )


async def get_enrollment_for(
    session: AsyncSession, *, student_id: uuid.UUID, course_id: uuid.UUID
) -> EnrollmentSummary | None:
    """The student's enrollment in the course, whatever its status, or None."""
    enrollment = await repository.get_for(session, student_id=student_id, course_id=course_id)
    return summary_of(enrollment) if enrollment is not None else None


async def list_enrollments(
    session: AsyncSession,
    *,
    student_id: uuid.UUID | None = None,
    course_ids: Collection[uuid.UUID] | None = None,
    statuses: Collection[str] = ACCESS_STATUSES,
) -> list[EnrollmentSummary]:
    """The enrollments of a student and/or of some courses with one of ``statuses`` (by
    default those that give access), in one query."""
    found = await repository.list_enrollments(
        session,
        student_id=student_id,
        course_ids=None if course_ids is None else list(course_ids),
        statuses=list(statuses),
    )
    return [summary_of(enrollment) for enrollment in found]


def student_cohort_id(
    student_id: ColumnExpressionArgument[uuid.UUID] | uuid.UUID,
    course_id: ColumnExpressionArgument[uuid.UUID],
) -> ScalarSelect[uuid.UUID]:
    """The cohort of the student's enrollment in the course (NULL when none): a scalar
    subquery for a statement that picks what applies to the student's cohort."""
    return repository.student_cohort_id(student_id, course_id)


async def teaches_student(
    session: AsyncSession,
    *,
    principal: Principal | None,
    course: courses.CourseSummary,
    student_id: uuid.UUID,
) -> bool:
    """Does the caller teach this student of the course (``CoursePolicy.teach``: an
    editor of the course, an admin, or an assistant of the student's cohort)? The rule
    for reading and grading a student's work."""
    access = await courses.course_access(session, principal, course)
    if courses.CoursePolicy.edit(access):
        return True
    if access.role != "assistant":
        return False
    cohort_id = None
    if access.cohort_ids:
        enrollment = await repository.get_for(session, student_id=student_id, course_id=course.id)
        cohort_id = enrollment.cohort_id if enrollment is not None else None
    return courses.CoursePolicy.teach(access, cohort_id)


async def get_enrollment_or_raise(
    session: AsyncSession, enrollment_id: uuid.UUID
) -> EnrollmentSummary:
    """The enrollment, whatever its status (no ownership check); 404 if there is none."""
    return summary_of(await load_enrollment_or_raise(session, enrollment_id))


def has_access(
    student_id: ColumnExpressionArgument[uuid.UUID],
    course_id: ColumnExpressionArgument[uuid.UUID],
) -> ColumnElement[bool]:
    """True when the student's enrollment in the course gives access to its material
    (an ``EXISTS``: active or completed). The arguments are columns of the enclosing
    statement or bound parameters."""
    return repository.access_condition(student_id, course_id)


def student_in_cohorts(
    student_id: ColumnExpressionArgument[uuid.UUID],
    *,
    course_id: uuid.UUID,
    cohort_ids: Collection[uuid.UUID],
) -> ColumnElement[bool]:
    """True when the student's enrollment in the course is in one of ``cohort_ids`` (an
    ``EXISTS`` on a column of the enclosing statement): what an assistant of those
    cohorts sees of a course's students."""
    return repository.in_cohorts_condition(student_id, course_id, list(cohort_ids))


def accessible_enrollment_id(
    student_id: ColumnExpressionArgument[uuid.UUID],
    course_id: ColumnExpressionArgument[uuid.UUID],
) -> ScalarSelect[uuid.UUID]:
    """The id of the student's enrollment in the course if it gives access to the
    material, else NULL: a scalar subquery for a statement that needs the enrollment it
    works under (a quiz attempt's, say)."""
    return repository.accessible_enrollment_id(student_id, course_id)


async def load_enrollment_or_raise(session: AsyncSession, enrollment_id: uuid.UUID) -> Enrollment:
    enrollment = await repository.get(session, enrollment_id)
    if enrollment is None:
        raise EnrollmentNotFound()
    return enrollment


async def visible_enrollment(
    session: AsyncSession, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment:
    """The enrollment for its student, the course's team who teach the student
    (``CoursePolicy.teach``) or an admin; 404 for anyone else, so ids of other students'
    enrollments reveal nothing."""
    enrollment = await load_enrollment_or_raise(session, enrollment_id)
    if enrollment.student_id == principal.id or principal.is_admin:
        return enrollment
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    access = await courses.course_access(session, principal, course)
    if courses.CoursePolicy.teach(access, enrollment.cohort_id):
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


def course_enrollments(course_id: uuid.UUID) -> Subquery:
    """Every enrollment of the course, whatever its status, as a selectable for another
    module's statement (the gradebook's rows), with these columns: ``enrollment_id``
    (UUID), ``student_id`` (UUID), ``cohort_id`` (UUID, NULL outside cohorts),
    ``status`` (text: active, completed, dropped, expired), ``enrolled_at``
    (timestamp, UTC)."""
    return repository.course_enrollments(course_id)
