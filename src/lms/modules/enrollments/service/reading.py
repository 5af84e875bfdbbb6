"""Reading enrollments: one with its lessons' progress, a student's list, a course's
list."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.pagination import Page, PageParams, page_of
from lms.core.session import Executor
from lms.modules import courses, users
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.enrollments.schemas import (
    CourseEnrollmentRead,
    EnrollmentDetail,
    EnrollmentRead,
    LessonProgressRead,
    LessonProgressWithLock,
)
from lms.modules.enrollments.service.lookups import visible_enrollment


def _read(
    enrollment: Enrollment, course: courses.CourseSummary | courses.CourseLabel | None
) -> EnrollmentRead:
    read = EnrollmentRead.model_validate(enrollment)
    if course is not None:
        read.course_title = course.title
        read.course_slug = course.slug
    return read


async def enrollment_read(session: AsyncSession, enrollment: Enrollment) -> EnrollmentRead:
    labels = await courses.course_labels(session, [enrollment.course_id])
    return _read(enrollment, labels.get(enrollment.course_id))


def progress_read(
    progress: LessonProgress, lesson: courses.LessonSummary | None
) -> LessonProgressRead:
    read = LessonProgressRead.model_validate(progress)
    if lesson is not None:
        read.lesson_title = lesson.title
        read.lesson_order_index = lesson.order_index
    return read


async def progress_view(session: AsyncSession, progress: LessonProgress) -> LessonProgressRead:
    lesson = await courses.get_lesson_or_raise(session, progress.lesson_id)
    return progress_read(progress, lesson)


async def get_enrollment_detail(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID
) -> EnrollmentDetail:
    """The enrollment with every lesson's progress, in course order (its student, the
    course's instructor, admins), and each lesson's drip-release lock for the student."""
    enrollment = await visible_enrollment(session, principal, enrollment_id)
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    rows = await repository.progress_of(session, enrollment.id)
    lessons = await courses.get_lessons(session, [row.lesson_id for row in rows])
    # The student's locks, whoever reads their enrollment (one statement).
    locks = await courses.lesson_locks(
        session, student_id=enrollment.student_id, course_id=enrollment.course_id
    )
    progress = sorted(
        (_with_lock(progress_read(row, lessons.get(row.lesson_id)), locks) for row in rows),
        key=lambda p: (p.lesson_order_index or 0, str(p.lesson_id)),
    )
    return EnrollmentDetail(**_read(enrollment, course).model_dump(), lesson_progress=progress)


def _with_lock(
    read: LessonProgressRead, locks: dict[uuid.UUID, courses.LessonLock]
) -> LessonProgressWithLock:
    lock = locks.get(read.lesson_id)
    with_lock = LessonProgressWithLock(**read.model_dump(exclude={"completed"}))
    if lock is not None and lock.locked:
        with_lock.locked = True
        with_lock.unlocks_at = lock.unlocks_at
        with_lock.lock_reason = lock.lock_reason
        with_lock.blocking_lesson_ids = list(lock.blocking_lesson_ids)
    return with_lock


async def list_my_enrollments(
    session: Executor, *, principal: Principal, status: str | None, page: PageParams
) -> Page[EnrollmentRead]:
    """The caller's enrollments, newest first, with course title, slug and progress."""
    rows, total = await repository.labelled_page_for_student(
        session,
        principal.id,
        status=status,
        offset=page.offset,
        limit=page.page_size,
    )
    return page_of([EnrollmentRead.model_validate(row._asdict()) for row in rows], total, page)


async def list_course_enrollments(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    status: str | None,
    page: PageParams,
) -> Page[CourseEnrollmentRead]:
    """A course's enrollments with the students' names and emails (its team and
    admins; an assistant of some cohorts sees their students only)."""
    access = await courses.get_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=courses.CoursePolicy.read_roster
    )
    course = access.course
    rows, total = await repository.page_for_course(
        session,
        course.id,
        status=status,
        cohort_ids=access.within_cohorts,
        offset=page.offset,
        limit=page.page_size,
    )
    students = await users.get_user_summaries(session, [row.student_id for row in rows])
    items = []
    for row in rows:
        student = students.get(row.student_id)
        items.append(
            CourseEnrollmentRead(
                **_read(row, course).model_dump(),
                student_name=student.full_name if student else None,
                student_email=student.email if student else None,
            )
        )
    return page_of(items, total, page)
