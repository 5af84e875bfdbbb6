"""Lessons: reading them with the content rule, adding, changing, reordering and deleting
them (owner or admin).

Content rule: anyone who may see the course sees its lesson outline; the ``content``
and ``video_url`` of a non-preview lesson are withheld (null, with
``content_locked: true``) unless the caller is enrolled, owns the course or is an admin.

Drip release (``drip``): a lesson's unlock rules are set with the lesson (create and
PATCH: ``unlock_at`` or ``unlock_after_days`` with ``unlock_relative_to``, and
``prerequisite_ids``); an enrolled student sees each lesson's lock in a listing and is
refused a locked lesson's page with 403 ``lesson_locked``.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.cache import Cache
from lms.core.deps import Principal
from lms.core.errors import RuleViolation
from lms.core.pagination import Page, PageParams, page_of
from lms.core.session import Executor
from lms.modules.courses import repository
from lms.modules.courses.events import LessonCreated, LessonDeleted
from lms.modules.courses.models import Course, Lesson
from lms.modules.courses.repository import drip as drip_repository
from lms.modules.courses.schemas import (
    LessonCreate,
    LessonRead,
    LessonReorder,
    LessonSummary,
    LessonUpdate,
)
from lms.modules.courses.service.access import access_statement
from lms.modules.courses.service.authoring import flush_or_slug_taken
from lms.modules.courses.service.catalogue import invalidate_after_commit
from lms.modules.courses.service.drip import (
    CourseLocks,
    LessonLock,
    LessonLocked,
    check_prerequisites_acyclic,
    course_locks,
    lesson_lock,
)
from lms.modules.courses.service.lookups import (
    CourseNotFound,
    LessonNotFound,
    access_to,
    has_full_content_access,
    lesson_summary_of,
    load_lesson_or_raise,
    load_managed_course_or_raise,
    load_visible_course_or_raise,
)
from lms.modules.courses.service.policy import CoursePolicy, authorize
from lms.modules.courses.slugs import first_free, slugify


def lesson_read(
    lesson: Lesson | Row[Any],
    *,
    full_access: bool,
    prerequisite_ids: list[uuid.UUID] | None = None,
    lock: LessonLock | None = None,
) -> LessonRead:
    """The lesson (an object or a row of its columns) as the caller may see it, with its
    prerequisites and the caller's lock (a student's; none for everyone else)."""
    read = LessonRead.model_validate(lesson)
    if not (full_access or lesson.is_preview):
        read.content = None
        read.video_url = None
        read.content_locked = True
    read.prerequisite_ids = list(prerequisite_ids or [])
    if lock is not None and lock.locked:
        read.locked = True
        read.unlocks_at = lock.unlocks_at
        read.lock_reason = lock.lock_reason
        read.blocking_lesson_ids = list(lock.blocking_lesson_ids)
    return read


async def list_lessons(
    session: AsyncSession, *, principal: Principal | None, course_id: uuid.UUID, page: PageParams
) -> Page[LessonRead]:
    """A course's lessons in order, for anyone who may see the course; an enrolled
    student sees each lesson's lock (one statement for all of them)."""
    course = await load_visible_course_or_raise(session, principal=principal, course_id=course_id)
    full_access = await has_full_content_access(session, principal, course)
    is_staff = principal is not None and CoursePolicy.is_staff(
        await access_to(session, principal, course)
    )
    lessons, total = await repository.page_lessons(
        session, course.id, offset=page.offset, limit=page.page_size
    )
    locks: CourseLocks | None = None
    if principal is not None and full_access and not is_staff:
        locks = await course_locks(session, student_id=principal.id, course_id=course.id)
        prerequisites = locks.prerequisites
    else:
        prerequisites = await drip_repository.prerequisites_of_course(session, course.id)
    return page_of(
        [
            lesson_read(
                lesson,
                full_access=full_access,
                prerequisite_ids=prerequisites.get(lesson.id),
                lock=locks.lock_of(lesson.id) if locks is not None else None,
            )
            for lesson in lessons
        ],
        total,
        page,
    )


def _is_gated(row: Row[Any]) -> bool:
    """May a rule lock this lesson (read with the lesson, so an ungated lesson costs
    nothing more)?"""
    return not row.is_preview and bool(
        row.unlock_at is not None
        or row.unlock_after_days is not None
        or row.course_lessons_in_order
        or row.has_prerequisites
    )


async def get_lesson_view(
    session: Executor, *, principal: Principal | None, lesson_id: uuid.UUID
) -> LessonRead:
    """One lesson; 404 if its course is invisible to the caller, material withheld as
    the module docstring says; 403 ``lesson_locked`` for a student it is locked for."""
    row = (
        await session.execute(
            access_statement("lesson_with_course"),
            {"lesson_id": lesson_id, "user_id": principal.id if principal else None},
        )
    ).first()
    if row is None:
        raise LessonNotFound()
    # The rules of can_view and has_full_content_access, with the enrollment read in
    # the same statement.
    full_access = bool(row.enrolled or row.on_team) or (
        principal is not None and (principal.is_admin or principal.id == row.course_instructor_id)
    )
    if not (row.course_is_published or full_access):
        raise LessonNotFound()
    is_staff = bool(row.on_team) or (
        principal is not None and (principal.is_admin or principal.id == row.course_instructor_id)
    )
    prerequisites: list[uuid.UUID] = []
    lock = None
    if principal is not None and row.enrolled and not is_staff and _is_gated(row):
        # A student's page of a lesson with rules: one statement says whether it is open.
        locks = await lesson_lock(session, student_id=principal.id, lesson_id=row.id)
        lock = locks.lock_of(row.id)
        if lock.locked:
            raise LessonLocked(lock)
        prerequisites = locks.prerequisites.get(row.id, [])
    elif row.has_prerequisites:
        prerequisites = await drip_repository.prerequisites_of_lesson(session, row.id)
    return lesson_read(row, full_access=full_access, prerequisite_ids=prerequisites)


async def _managed_lesson(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID
) -> tuple[Lesson, Course]:
    lesson = await load_lesson_or_raise(session, lesson_id)
    try:
        course = await load_visible_course_or_raise(
            session, principal=principal, course_id=lesson.course_id
        )
    except CourseNotFound as exc:
        raise LessonNotFound() from exc
    authorize(CoursePolicy.edit(await access_to(session, principal, course)))
    return lesson, course


async def _unique_lesson_slug(
    session: AsyncSession, course_id: uuid.UUID, title: str, *, current: str | None = None
) -> str:
    base = slugify(title, fallback="lesson")
    taken = await repository.slugs_like(session, base, course_id=course_id, lessons=True)
    taken.discard(current or "")
    return first_free(base, taken)


async def _check_parent(
    session: AsyncSession,
    course_id: uuid.UUID,
    parent_id: uuid.UUID,
    *,
    lesson_id: uuid.UUID | None = None,
) -> None:
    """The parent must be a lesson of the same course, and nesting must not loop."""
    parents = await repository.lesson_parents(session, course_id)
    if parent_id not in parents:
        raise RuleViolation(
            "parent_lesson_id is not a lesson of this course.", code="parent_not_in_course"
        )
    ancestor: uuid.UUID | None = parent_id
    while ancestor is not None:
        if ancestor == lesson_id:
            raise RuleViolation("A lesson cannot be nested inside itself.", code="lesson_cycle")
        ancestor = parents.get(ancestor)


async def create_lesson(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal,
    course_id: uuid.UUID,
    data: LessonCreate,
) -> Lesson:
    """Add a lesson (owner or admin); ``LessonCreated`` tells the modules that keep
    something per lesson (enrolled students get a progress row for it)."""
    course = await load_managed_course_or_raise(session, principal=principal, course_id=course_id)
    return await _insert_lesson(session, cache=cache, course_id=course.id, data=data)


async def add_lesson(
    session: AsyncSession, *, cache: Cache, course_id: uuid.UUID, data: LessonCreate
) -> LessonSummary:
    """Insert a lesson into the course (no authorization: callers check)."""
    return lesson_summary_of(
        await _insert_lesson(session, cache=cache, course_id=course_id, data=data)
    )


async def _check_prerequisites(
    session: AsyncSession,
    course_id: uuid.UUID,
    prerequisite_ids: list[uuid.UUID],
    *,
    lesson_id: uuid.UUID | None = None,
) -> None:
    """Prerequisites are other lessons of the same course (422 otherwise)."""
    if lesson_id is not None and lesson_id in prerequisite_ids:
        raise RuleViolation(
            "A lesson cannot be its own prerequisite.",
            code="prerequisite_cycle",
            extra={"lesson_ids": [str(lesson_id)]},
        )
    current = set(await repository.lesson_ids_of(session, course_id))
    strangers = [str(i) for i in prerequisite_ids if i not in current]
    if strangers:
        raise RuleViolation(
            "Prerequisites must be lessons of the same course.",
            code="prerequisite_not_in_course",
            extra={"lesson_ids": strangers},
        )


async def _insert_lesson(
    session: AsyncSession, *, cache: Cache, course_id: uuid.UUID, data: LessonCreate
) -> Lesson:
    await repository.lock_course(session, course_id)
    if data.parent_lesson_id is not None:
        await _check_parent(session, course_id, data.parent_lesson_id)
    if data.prerequisite_ids:
        await _check_prerequisites(session, course_id, data.prerequisite_ids)
    order_index = data.order_index
    if order_index is None:
        order_index = await repository.next_order_index(session, course_id)
    lesson = Lesson(
        course_id=course_id,
        title=data.title,
        slug=await _unique_lesson_slug(session, course_id, data.title),
        description=data.description,
        content=data.content,
        lesson_type=data.lesson_type,
        order_index=order_index,
        parent_lesson_id=data.parent_lesson_id,
        duration_minutes=data.duration_minutes,
        video_url=data.video_url,
        is_preview=data.is_preview,
        lesson_metadata=data.lesson_metadata,
        unlock_at=data.unlock_at,
        unlock_after_days=data.unlock_after_days,
        unlock_relative_to=data.unlock_relative_to,
    )
    session.add(lesson)
    await flush_or_slug_taken(session)
    if data.prerequisite_ids:
        await drip_repository.set_prerequisites(session, lesson.id, data.prerequisite_ids)
        # Placed before a prerequisite in a course taken in order, it would wait forever.
        await check_prerequisites_acyclic(session, course_id)
    await events.publish(session, LessonCreated(course_id=course_id, lesson_id=lesson.id))
    invalidate_after_commit(session, cache)
    return lesson


async def update_lesson(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal,
    lesson_id: uuid.UUID,
    data: LessonUpdate,
) -> Lesson:
    """Change a lesson (owner or admin). The slug follows the title only when asked."""
    lesson, course = await _managed_lesson(session, principal, lesson_id)
    changes: dict[str, Any] = data.model_dump(
        exclude_unset=True, exclude={"regenerate_slug", "prerequisite_ids"}
    )
    if changes.get("parent_lesson_id") is not None:
        await _check_parent(session, course.id, changes["parent_lesson_id"], lesson_id=lesson.id)
    prerequisites = data.prerequisite_ids if "prerequisite_ids" in data.model_fields_set else None
    reordered = "order_index" in changes and changes["order_index"] != lesson.order_index
    if prerequisites is not None or reordered:
        await repository.lock_course(session, course.id)
    if prerequisites is not None:
        await _check_prerequisites(session, course.id, prerequisites, lesson_id=lesson.id)
    for field, value in changes.items():
        setattr(lesson, field, value)
    if lesson.unlock_at is not None and lesson.unlock_after_days is not None:
        raise RuleViolation(
            "A lesson opens at a date (unlock_at) or some days after the student's start "
            "(unlock_after_days), not both: set the other one to null.",
            code="unlock_rule_conflict",
        )
    if data.regenerate_slug:
        lesson.slug = await _unique_lesson_slug(
            session, course.id, lesson.title, current=lesson.slug
        )
    await flush_or_slug_taken(session)
    if prerequisites is not None:
        await drip_repository.set_prerequisites(session, lesson.id, prerequisites)
    if prerequisites or reordered:
        await check_prerequisites_acyclic(session, course.id)
    invalidate_after_commit(session, cache)
    return lesson


async def prerequisites_of(session: AsyncSession, lesson_id: uuid.UUID) -> list[uuid.UUID]:
    """The lesson's prerequisites (for the team's view of a lesson just written)."""
    return await drip_repository.prerequisites_of_lesson(session, lesson_id)


async def prerequisites_in_course(
    session: AsyncSession, course_id: uuid.UUID
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """Each lesson of the course with prerequisites -> their ids."""
    return await drip_repository.prerequisites_of_course(session, course_id)


async def delete_lesson(
    session: AsyncSession, *, cache: Cache, principal: Principal, lesson_id: uuid.UUID
) -> None:
    """Delete a lesson (owner or admin); nested lessons move to the top level.
    ``LessonDeleted`` tells the modules that keep something per lesson (every
    enrollment's counters are recomputed)."""
    lesson, course = await _managed_lesson(session, principal, lesson_id)
    await repository.lock_course(session, course.id)
    await repository.delete_lesson(session, lesson.id)
    session.expunge(lesson)
    await events.publish(session, LessonDeleted(course_id=course.id, lesson_id=lesson_id))
    invalidate_after_commit(session, cache)


async def reorder_lessons(
    session: AsyncSession, *, cache: Cache, principal: Principal, data: LessonReorder
) -> list[Lesson]:
    """Rewrite the order of a course's lessons in one statement. The list must name every
    lesson of the course exactly once; positions become 1..n."""
    course = await load_managed_course_or_raise(
        session, principal=principal, course_id=data.course_id
    )
    await repository.lock_course(session, course.id)
    current = set(await repository.lesson_ids_of(session, course.id))
    strangers = [str(i) for i in data.lesson_ids if i not in current]
    if strangers:
        raise RuleViolation(
            "Some lessons are not lessons of this course.",
            code="lesson_not_in_course",
            extra={"lesson_ids": strangers},
        )
    missing = [str(i) for i in current - set(data.lesson_ids)]
    if missing:
        raise RuleViolation(
            "The new order must list every lesson of the course.",
            code="lessons_missing",
            extra={"lesson_ids": sorted(missing)},
        )
    await repository.set_order(session, course.id, data.lesson_ids)
    await check_prerequisites_acyclic(session, course.id)
    invalidate_after_commit(session, cache)
    return await repository.lessons_of(session, course.id)
