"""Finding courses and lessons, the labels other modules show of them, and who may see
or manage a course (visibility: published for everyone, a draft only for its
instructor, admins and the students enrolled in it)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import NamedTuple, TypeVarTuple

from sqlalchemy import ColumnExpressionArgument, ScalarSelect, Select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound
from lms.modules.courses import repository
from lms.modules.courses.models import Course, Lesson
from lms.modules.courses.schemas import CourseRead
from lms.modules.courses.service.hooks import access_statement

Ts = TypeVarTuple("Ts")


class CourseNotFound(NotFound):
    code = "course_not_found"
    detail = "No course with this id."


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    detail = "No lesson with this id."


async def get_course_or_raise(session: AsyncSession, course_id: uuid.UUID) -> Course:
    """The course, whatever its state (no visibility check); 404 if there is none."""
    course = await repository.get_course(session, course_id)
    if course is None:
        raise CourseNotFound()
    return course


async def get_lesson_or_raise(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson:
    """The lesson (no visibility check); 404 if there is none."""
    lesson = await repository.get_lesson(session, lesson_id)
    if lesson is None:
        raise LessonNotFound()
    return lesson


async def find_lesson(session: AsyncSession, lesson_id: uuid.UUID) -> Lesson | None:
    """The lesson, or None (no visibility check)."""
    return await repository.get_lesson(session, lesson_id)


async def get_courses(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Course]:
    """Courses by id, in one query."""
    return {course.id: course for course in await repository.get_courses(session, course_ids)}


class CourseLabel(NamedTuple):
    """What a list of another module's rows shows of each course."""

    title: str
    slug: str


def with_course_labels(
    statement: Select[*Ts], course_id: ColumnExpressionArgument[uuid.UUID]
) -> Select[*Ts, str, str]:
    """``statement`` with the title and slug of the course whose id is in ``course_id``
    added as its last two columns, ``course_title`` and ``course_slug`` (null if there is
    none): another module's list and its
    course labels in one statement."""
    return repository.with_course_labels(statement, course_id)


def lesson_labels(
    lesson_id: ColumnExpressionArgument[uuid.UUID],
) -> tuple[ScalarSelect[str], ScalarSelect[int]]:
    """The title and position of the lesson whose id is in ``lesson_id``, as scalar
    subqueries for another module's statement (a ``RETURNING`` clause, say)."""
    return repository.lesson_labels(lesson_id)


def course_label_subqueries(
    course_id: ColumnExpressionArgument[uuid.UUID],
) -> tuple[ScalarSelect[str], ScalarSelect[str]]:
    """The title and slug of the course whose id is in ``course_id``, as scalar
    subqueries for another module's statement (a ``RETURNING`` clause, say)."""
    return repository.course_label_subqueries(course_id)


def course_published_subquery(
    course_id: ColumnExpressionArgument[uuid.UUID],
) -> ScalarSelect[bool]:
    """Whether the course whose id is in ``course_id`` is published (so anyone may see
    it), as a scalar subquery for another module's statement."""
    return repository.course_published_subquery(course_id)


async def course_labels(
    session: AsyncSession, course_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, CourseLabel]:
    """Title and slug of each course, by id, in one query (lighter than ``get_courses``)."""
    rows = await repository.course_labels(session, course_ids)
    return {course_id: CourseLabel(title, slug) for course_id, title, slug in rows}


async def get_lessons(
    session: AsyncSession, lesson_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, Lesson]:
    """Lessons by id, in one query."""
    return {lesson.id: lesson for lesson in await repository.get_lessons(session, lesson_ids)}


async def list_lesson_ids(session: AsyncSession, course_id: uuid.UUID) -> list[uuid.UUID]:
    """The ids of every lesson of the course, in course order."""
    return await repository.lesson_ids_of(session, course_id)


async def lock_course(session: AsyncSession, course_id: uuid.UUID, *, shared: bool) -> bool:
    """Lock the course row for this transaction (shared: other sharers may proceed, lesson
    changes wait). False if the course no longer exists."""
    return await repository.lock_course(session, course_id, shared=shared) is not None


def is_course_owner_or_admin(principal: Principal | None, course: Course) -> bool:
    return principal is not None and (principal.is_admin or principal.id == course.instructor_id)


def require_course_manager(principal: Principal | None, course: Course) -> None:
    """Only the owning instructor or an admin changes a course or its lessons."""
    if not is_course_owner_or_admin(principal, course):
        raise Forbidden(
            "Only the course's instructor or an admin may do this.", code="not_course_manager"
        )


async def is_enrolled(session: AsyncSession, *, user_id: uuid.UUID, course_id: uuid.UUID) -> bool:
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
    if principal.is_admin or principal.id == course.instructor_id:
        return True
    return await is_enrolled(session, user_id=principal.id, course_id=course.id)


async def get_visible_course_or_raise(
    session: AsyncSession, *, principal: Principal | None, course_id: uuid.UUID
) -> Course:
    """The course if the caller may see it; otherwise 404, so drafts stay invisible."""
    course = await repository.get_course(session, course_id)
    if course is None or not await can_view(session, principal, course):
        raise CourseNotFound()
    return course


async def get_managed_course_or_raise(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> Course:
    """The course for its instructor or an admin: 404 if the caller cannot even see it,
    403 if they see it but may not manage it."""
    course = await get_visible_course_or_raise(session, principal=principal, course_id=course_id)
    require_course_manager(principal, course)
    return course


async def has_full_content_access(
    session: AsyncSession, principal: Principal | None, course: Course
) -> bool:
    """May the caller see the material of every lesson (owner, admin, enrolled)?"""
    if principal is None:
        return False
    if is_course_owner_or_admin(principal, course):
        return True
    return await is_enrolled(session, user_id=principal.id, course_id=course.id)
