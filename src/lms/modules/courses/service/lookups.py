"""Finding courses and lessons, what other modules see of them, and who may see or
manage a course (visibility: published for everyone, a draft only for its instructor,
admins and the students with access to its material).

Two kinds of lookup: ``load_*`` return this module's mapped objects, for its own use
cases that change them; the others return read models (``CourseSummary``,
``LessonSummary``), for the router and for other modules. Both run the same
statements: a read model is built from the object already loaded.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import NotFound
from lms.modules.courses import repository
from lms.modules.courses.models import Course, Lesson
from lms.modules.courses.schemas import (
    CourseAccess,
    CourseLabel,
    CourseRead,
    CourseSummary,
    LessonSummary,
)
from lms.modules.courses.service.access import access_statement
from lms.modules.courses.service.policy import CoursePolicy, authorize, course_access


class CourseNotFound(NotFound):
    code = "course_not_found"
    detail = "No course with this id."


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    detail = "No lesson with this id."


def summary_of(course: Course) -> CourseSummary:
    return CourseSummary(
        id=course.id,
        title=course.title,
        slug=course.slug,
        instructor_id=course.instructor_id,
        is_published=course.is_published,
        price=course.price,
        currency=course.currency,
    )


def lesson_summary_of(lesson: Lesson) -> LessonSummary:
    metadata = lesson.lesson_metadata
    return LessonSummary(
        id=lesson.id,
        course_id=lesson.course_id,
        title=lesson.title,
        slug=lesson.slug,
        lesson_type=lesson.lesson_type,
        order_index=lesson.order_index,
        lesson_metadata=dict(metadata) if metadata is not None else None,
    )


# Who may do what: CoursePolicy on the caller's CourseAccess (lms.modules.courses.service.policy)

Rule = Callable[[CourseAccess], bool]


async def access_to(
    session: AsyncSession, principal: Principal | None, course: Course | CourseSummary
) -> CourseAccess:
    """What the caller is to the course (a mapped course or a read model)."""
    summary = course if isinstance(course, CourseSummary) else summary_of(course)
    return await course_access(session, principal, summary)


# Mapped objects, for this module's use cases


async def load_course_or_raise(session: AsyncSession, course_id: uuid.UUID) -> Course:
    """The course, whatever its state (no visibility check); 404 if there is none."""
    course = await repository.get_course(session, course_id)
    if course is None:
        raise CourseNotFound()
    return course


async def load_lesson_or_raise(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson:
    """The lesson (no visibility check); 404 if there is none."""
    lesson = await repository.get_lesson(session, lesson_id)
    if lesson is None:
        raise LessonNotFound()
    return lesson


async def is_enrolled(session: AsyncSession, *, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
    """Has the user access to the course's material through another module (see
    ``lms.modules.courses.events.MaterialAccess``)?"""
    found = await session.scalar(
        access_statement("is_enrolled"), {"user_id": user_id, "course_id": course_id}
    )
    return bool(found)


async def can_view(
    session: AsyncSession, principal: Principal | None, course: Course | CourseRead
) -> bool:
    """Published courses are for everyone; a draft (or an unpublished course) only for its
    instructor, admins, and students who enrolled while it was published."""
    if course.is_published:
        return True
    if principal is None:
        return False
    summary = course if isinstance(course, Course) else _summary_of_read(course)
    if CoursePolicy.is_staff(await access_to(session, principal, summary)):
        return True
    return await is_enrolled(session, user_id=principal.id, course_id=course.id)


def _summary_of_read(course: CourseRead) -> CourseSummary:
    return CourseSummary(
        id=course.id,
        title=course.title,
        slug=course.slug,
        instructor_id=course.instructor_id,
        is_published=course.is_published,
        price=course.price,
        currency=course.currency,
    )


async def load_visible_course_or_raise(
    session: AsyncSession, *, principal: Principal | None, course_id: uuid.UUID
) -> Course:
    """The course if the caller may see it; otherwise 404, so drafts stay invisible."""
    course = await repository.get_course(session, course_id)
    if course is None or not await can_view(session, principal, course):
        raise CourseNotFound()
    return course


async def load_managed_course_or_raise(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    rule: Rule = CoursePolicy.edit,
) -> Course:
    """The course if ``rule`` lets the caller act on it (by default: edit it): 404 if
    the caller cannot even see it, 403 if they see it but the rule says no."""
    course = await load_visible_course_or_raise(session, principal=principal, course_id=course_id)
    authorize(rule(await access_to(session, principal, course)))
    return course


async def has_full_content_access(
    session: AsyncSession, principal: Principal | None, course: Course
) -> bool:
    """May the caller see the material of every lesson (owner, admin, enrolled)?"""
    if principal is None:
        return False
    if CoursePolicy.is_staff(await access_to(session, principal, course)):
        return True
    return await is_enrolled(session, user_id=principal.id, course_id=course.id)


# Read models, for the router and other modules


async def get_course_or_raise(session: AsyncSession, course_id: uuid.UUID) -> CourseSummary:
    """The course, whatever its state (no visibility check); 404 if there is none."""
    return summary_of(await load_course_or_raise(session, course_id))


async def get_visible_course_or_raise(
    session: AsyncSession, *, principal: Principal | None, course_id: uuid.UUID
) -> CourseSummary:
    """The course if the caller may see it; otherwise 404, so drafts stay invisible."""
    return summary_of(
        await load_visible_course_or_raise(session, principal=principal, course_id=course_id)
    )


async def get_managed_course_or_raise(
    session: AsyncSession,
    *,
    principal: Principal,
    course_id: uuid.UUID,
    rule: Rule = CoursePolicy.edit,
) -> CourseAccess:
    """The caller's access to the course if ``rule`` lets them act on it (by default:
    edit it): 404 if the caller cannot even see it, 403 if they see it but the rule says
    no."""
    course = await load_visible_course_or_raise(session, principal=principal, course_id=course_id)
    access = await access_to(session, principal, course)
    authorize(rule(access))
    return access


async def get_course_by_slug_or_raise(session: AsyncSession, slug: str) -> CourseSummary:
    """The course with this slug, whatever its state; 404 if there is none."""
    course = await repository.get_course_by_slug(session, slug)
    if course is None:
        raise CourseNotFound("No course with this slug.")
    return summary_of(course)


async def get_courses(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CourseSummary]:
    """Courses by id, in one query (unknown ids are left out)."""
    return {
        course.id: summary_of(course)
        for course in await repository.get_courses(session, course_ids)
    }


async def course_labels(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CourseLabel]:
    """Title and slug of each course, by id, in one query (lighter than ``get_courses``)."""
    rows = await repository.course_labels(session, course_ids)
    return {course_id: CourseLabel(title, slug) for course_id, title, slug in rows}


async def get_lesson_or_raise(session: AsyncSession, lesson_id: uuid.UUID) -> LessonSummary:
    """The lesson (no visibility check); 404 if there is none."""
    return lesson_summary_of(await load_lesson_or_raise(session, lesson_id))


async def find_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> LessonSummary | None:
    """The lesson, or None (no visibility check)."""
    lesson = await repository.get_lesson(session, lesson_id)
    return lesson_summary_of(lesson) if lesson is not None else None


async def get_lessons(
    session: AsyncSession, lesson_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, LessonSummary]:
    """Lessons by id, in one query (unknown ids are left out)."""
    return {
        lesson.id: lesson_summary_of(lesson)
        for lesson in await repository.get_lessons(session, lesson_ids)
    }


async def list_lesson_ids(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of every lesson of the course, in course order."""
    return await repository.lesson_ids_of(session, course_id)


async def lock_course(session: AsyncSession, course_id: uuid.UUID, *, shared: bool) -> bool:
    """Lock the course row for this transaction (shared: other sharers may proceed, lesson
    changes wait). False if the course no longer exists."""
    return await repository.lock_course(session, course_id, shared=shared) is not None
