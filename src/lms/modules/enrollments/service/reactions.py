"""What this module registers with the courses and files modules at import: who has
access to a course, progress rows and counters that follow the lessons, no deletion of a
course with students, and who reads or attaches a lesson's files."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict
from lms.modules.courses import service as courses
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import ACCESS_STATUSES
from lms.modules.enrollments.service.progress import handle_enrollment_completed
from lms.modules.files import service as files


class CourseHasEnrollments(Conflict):
    code = "course_has_enrollments"
    detail = "Students are enrolled in this course: unpublish it instead of deleting it."


# Course materials: files attached to a lesson


@files.register_file_access_checker
async def _enrolled_students_read_course_materials(
    session: AsyncSession, principal: Principal, file: files.UploadedFile
) -> bool:
    """A private file attached to a lesson is readable by the course's students."""
    if file.lesson_id is None:
        return False
    lesson = await courses.find_lesson(session, file.lesson_id)
    if lesson is None:
        return False
    enrollment = await repository.get_for(
        session, student_id=principal.id, course_id=lesson.course_id
    )
    return enrollment is not None and enrollment.status in ACCESS_STATUSES


@files.register_lesson_attachment_checker
async def _course_managers_attach_materials(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID
) -> bool:
    """Only the lesson's course instructor (or an admin) attaches files to it."""
    lesson = await courses.find_lesson(session, lesson_id)
    if lesson is None:
        return False
    course = await courses.get_course_or_raise(session, lesson.course_id)
    return courses.is_course_owner_or_admin(principal, course)


# Hooks into the courses module


@courses.register_enrollment_condition
def _has_course_access(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    return repository.access_condition(user_id, course_id)


@courses.on_lesson_created
async def _add_lesson_to_enrollments(session: AsyncSession, lesson: courses.Lesson) -> None:
    enrollment_ids = await repository.enrollment_ids_of_course(session, lesson.course_id)
    await repository.add_progress_rows(session, [(eid, lesson.id) for eid in enrollment_ids])
    await repository.add_lessons_to_totals(session, lesson.course_id, 1)


@courses.on_lesson_deleted
async def _recount_after_lesson_deleted(
    session: AsyncSession, course_id: uuid.UUID, _lesson_id: uuid.UUID
) -> None:
    # The progress rows went with the lesson (foreign key cascade). Lock, then recount,
    # so progress committed by concurrent requests is counted; an enrollment whose only
    # missing lesson was the deleted one is now complete.
    await repository.lock_enrollments_of_course(session, course_id)
    await repository.recount_course(session, course_id)
    for enrollment_id in await repository.finish_completed(
        session, now=utcnow(), course_id=course_id
    ):
        enrollment = await repository.get_fresh(session, enrollment_id)
        assert enrollment is not None
        await handle_enrollment_completed(session, enrollment)


@courses.on_course_deleting
async def _refuse_if_enrolled(session: AsyncSession, course: courses.Course) -> None:
    if await repository.count_for_course(session, course.id) > 0:
        raise CourseHasEnrollments()
