"""How enrollments follow the courses and files modules. Each function is a subscriber
(or an answer to a question), subscribed in ``lms/wiring.py``:

- a student's enrollment opens the course's material (``courses.MaterialAccess``);
- progress rows and counters follow the lessons (``courses.LessonCreated``,
  ``courses.LessonDeleted``);
- a course with students is not deleted (the guard on ``courses.CourseDeleting``);
- the students of a course read the files attached to its lessons
  (``files.FileReadAsked``) once the lesson is unlocked for them;
- drip release learns from enrollments what a student has completed, when their access
  started and their cohort (``courses.LessonDone``, ``courses.LearnerStartedAt``,
  ``courses.LearnerCohort``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.errors import Conflict
from lms.modules import courses, files
from lms.modules.enrollments import repository
from lms.modules.enrollments.schemas import ACCESS_STATUSES
from lms.modules.enrollments.service.lookups import has_access
from lms.modules.enrollments.service.progress import handle_enrollment_completed


class CourseHasEnrollments(Conflict):
    code = "course_has_enrollments"
    detail = "Students are enrolled in this course: unpublish it instead of deleting it."


def students_have_access(condition: courses.MaterialAccess) -> ColumnElement[bool]:
    """An enrollment that gives access (active or completed) opens the course's
    material to its student."""
    return has_access(condition.user_id, condition.course_id)


def students_complete_lessons(condition: courses.LessonDone) -> ColumnElement[bool]:
    """A lesson is done for a student when its progress row in their enrollment in the
    course is completed."""
    return repository.lesson_done_condition(
        condition.user_id, condition.course_id, condition.lesson_id
    )


def students_start_at_enrollment(lookup: courses.LearnerStartedAt) -> ColumnElement[Any]:
    """A student's access starts at their enrollment's date (``enrolled_at``), while the
    enrollment gives access."""
    return repository.accessible_enrollment_column("enrolled_at", lookup.user_id, lookup.course_id)


def students_cohort(lookup: courses.LearnerCohort) -> ColumnElement[Any]:
    """The cohort of a student's enrollment that gives access (NULL: none)."""
    return repository.accessible_enrollment_column("cohort_id", lookup.user_id, lookup.course_id)


async def add_lesson_to_enrollments(session: AsyncSession, event: courses.LessonCreated) -> None:
    """Every enrollment of the course gets a progress row for the new lesson and counts
    one more lesson (the course row is locked: no enrollment is missed)."""
    enrollment_ids = await repository.enrollment_ids_of_course(session, event.course_id)
    await repository.add_progress_rows(
        session, [(enrollment_id, event.lesson_id) for enrollment_id in enrollment_ids]
    )
    await repository.add_lessons_to_totals(session, event.course_id, 1)


async def recount_after_lesson_deleted(session: AsyncSession, event: courses.LessonDeleted) -> None:
    """Recount every enrollment of the course; one whose only missing lesson was the
    deleted one is now complete."""
    # The progress rows went with the lesson (foreign key cascade). Lock, then recount,
    # so progress committed by concurrent requests is counted.
    await repository.lock_enrollments_of_course(session, event.course_id)
    await repository.recount_course(session, event.course_id)
    for enrollment in await repository.finish_completed(
        session, now=utcnow(), course_id=event.course_id
    ):
        await handle_enrollment_completed(session, enrollment)


async def refuse_deleting_course_with_students(
    session: AsyncSession, event: courses.CourseDeleting
) -> None:
    """A course with enrollments (of any status) is not deleted: 409."""
    if await repository.count_for_course(session, event.course_id) > 0:
        raise CourseHasEnrollments()


async def students_read_course_materials(
    session: AsyncSession, question: files.FileReadAsked
) -> bool:
    """A private file attached to a lesson is readable by the course's students (with
    an enrollment that gives access) once the lesson is unlocked for them (403
    ``lesson_locked`` before)."""
    if question.lesson_id is None:
        return False
    lesson = await courses.find_lesson(session, question.lesson_id)
    if lesson is None:
        return False
    enrollment = await repository.get_for(
        session, student_id=question.principal.id, course_id=lesson.course_id
    )
    if enrollment is None or enrollment.status not in ACCESS_STATUSES:
        return False
    # A locked lesson's files stay closed to the student: 403 lesson_locked.
    await courses.require_lesson_unlocked(
        session, student_id=question.principal.id, lesson_id=lesson.id
    )
    return True
