"""Courses and lessons: the catalogue, publishing, lesson content access and ordering.

Other modules call these functions, never the tables. The enrollments module plugs in
through the hooks at the bottom half of this file (who is enrolled, what happens to
progress when a lesson is added or deleted, whether a course may be deleted), so this
module never imports it.

Lesson content rule: anyone who may see the course sees its lesson outline; the
``content`` and ``video_url`` of a non-preview lesson are withheld (null, with
``content_locked: true``) unless the caller is enrolled, owns the course or is an admin.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    ColumnExpressionArgument,
    Executable,
    ScalarSelect,
    Select,
    bindparam,
    false,
    or_,
    select,
)
from sqlalchemy.engine import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, NotFound, RuleViolation, Unauthorized
from lms.core.pagination import Page, PageParams
from lms.core.session import Executor, run_after_commit
from lms.modules.courses import repository
from lms.modules.courses.models import Course, Lesson
from lms.modules.courses.schemas import (
    CourseCreate,
    CourseFilters,
    CourseRead,
    CourseUpdate,
    LessonCreate,
    LessonRead,
    LessonReorder,
    LessonUpdate,
)
from lms.modules.courses.slugs import first_free, slugify
from lms.modules.users import service as users

CACHE_NAMESPACE = "courses"

Ts = TypeVarTuple("Ts")

EnrollmentCondition = Callable[[Any, Any], ColumnElement[bool]]
LessonCreatedListener = Callable[[AsyncSession, Lesson], Awaitable[None]]
LessonDeletedListener = Callable[[AsyncSession, uuid.UUID, uuid.UUID], Awaitable[None]]
CourseDeletionGuard = Callable[[AsyncSession, Course], Awaitable[None]]

_enrollment_conditions: list[EnrollmentCondition] = []
# Statements that embed the enrollment conditions, composed at first use.
_access_statements: dict[str, Executable] = {}
_lesson_created_listeners: list[LessonCreatedListener] = []
_lesson_deleted_listeners: list[LessonDeletedListener] = []
_course_deletion_guards: list[CourseDeletionGuard] = []


class CourseNotFound(NotFound):
    code = "course_not_found"
    detail = "No course with this id."


class LessonNotFound(NotFound):
    code = "lesson_not_found"
    detail = "No lesson with this id."


class SlugTaken(Conflict):
    code = "slug_taken"
    detail = "Another course or lesson took this slug at the same moment; retry."


# Hooks (registered by the enrollments module at import)


def register_enrollment_condition(condition: EnrollmentCondition) -> EnrollmentCondition:
    """``condition(user_id, course_id)``: a SQL condition (an ``EXISTS``) that is true
    when the user is enrolled with access to the material; any condition true grants
    access. A condition rather than a query, so that reading a lesson checks access in
    the statement that reads it."""
    if condition not in _enrollment_conditions:
        _enrollment_conditions.append(condition)
        _access_statements.clear()
    return condition


def _enrolled(user_id: Any, course_id: Any) -> ColumnElement[bool]:
    if not _enrollment_conditions:
        return false()
    return or_(*(condition(user_id, course_id) for condition in _enrollment_conditions))


def _access_statement(name: str) -> Executable:
    statement: Executable | None = _access_statements.get(name)
    if statement is None:
        if name == "is_enrolled":
            statement = select(_enrolled(bindparam("user_id"), bindparam("course_id")))
        else:
            statement = repository.lesson_with_course_statement(
                _enrolled(bindparam("user_id"), Course.id)
            )
        _access_statements[name] = statement
    return statement


def on_lesson_created(listener: LessonCreatedListener) -> LessonCreatedListener:
    """``listener(session, lesson)`` runs in the transaction that added the lesson,
    with the course row locked."""
    if listener not in _lesson_created_listeners:
        _lesson_created_listeners.append(listener)
    return listener


def on_lesson_deleted(listener: LessonDeletedListener) -> LessonDeletedListener:
    """``listener(session, course_id, lesson_id)`` runs in the transaction that deleted
    the lesson, after the row is gone."""
    if listener not in _lesson_deleted_listeners:
        _lesson_deleted_listeners.append(listener)
    return listener


def on_course_deleting(guard: CourseDeletionGuard) -> CourseDeletionGuard:
    """``guard(session, course)`` runs before a course is deleted; it refuses by raising
    (for example ``Conflict`` when students are enrolled)."""
    if guard not in _course_deletion_guards:
        _course_deletion_guards.append(guard)
    return guard


# Lookups and policies


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
        _access_statement("is_enrolled"), {"user_id": user_id, "course_id": course_id}
    )
    return bool(found)


async def _can_view(
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
    if course is None or not await _can_view(session, principal, course):
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


# Reading the catalogue (cached)


def _invalidate_after_commit(session: AsyncSession, cache: Cache) -> None:
    async def invalidate() -> None:
        await cache.invalidate(CACHE_NAMESPACE)

    run_after_commit(session, invalidate)


async def _course_reads(
    session: AsyncSession, rows: Sequence[tuple[Course, int]]
) -> list[CourseRead]:
    instructors = await users.get_users(session, list({c.instructor_id for c, _ in rows}))
    reads = []
    for course, lessons_count in rows:
        read = CourseRead.model_validate(course)
        instructor = instructors.get(course.instructor_id)
        read.instructor_name = instructor.full_name if instructor else None
        read.lessons_count = lessons_count
        reads.append(read)
    return reads


async def course_read(session: AsyncSession, course: Course) -> CourseRead:
    count = await repository.count_lessons(session, course.id)
    return (await _course_reads(session, [(course, count)]))[0]


async def list_courses(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal | None,
    filters: CourseFilters,
    page: PageParams,
) -> Page[CourseRead]:
    """The catalogue (published courses, cached), or with ``mine`` the caller's own
    courses in every state, or with ``is_published=false`` the drafts the caller may see."""
    if filters.mine and principal is None:
        raise Unauthorized("Sign in to list your own courses.")
    key = None
    if filters.is_public:
        params = filters.model_dump(mode="json", exclude={"is_published", "mine"})
        key = "list:" + json.dumps(
            {**params, "page": page.page, "size": page.page_size}, sort_keys=True
        )
        cached = await cache.get(CACHE_NAMESPACE, key)
        if cached is not None:
            return Page[CourseRead].model_validate(cached)
    rows, total = await repository.page_courses(
        session,
        filters,
        caller_id=principal.id if principal else None,
        is_admin=bool(principal and principal.is_admin),
        offset=page.offset,
        limit=page.page_size,
    )
    result = Page[CourseRead](
        items=await _course_reads(session, rows),
        total=total,
        page=page.page,
        page_size=page.page_size,
    )
    if key is not None:
        await cache.set(CACHE_NAMESPACE, key, result.model_dump(mode="json"))
    return result


async def get_course_view(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal | None,
    course_id: uuid.UUID | None = None,
    slug: str | None = None,
) -> CourseRead:
    """One course by id or slug, from the cache when possible; 404 when the caller may
    not see it."""
    if slug is not None and "\x00" in slug:
        raise CourseNotFound()
    key = f"id:{course_id}" if course_id is not None else f"slug:{slug}"
    cached = await cache.get(CACHE_NAMESPACE, key)
    if cached is not None:
        read = CourseRead.model_validate(cached)
    else:
        course = (
            await repository.get_course(session, course_id)
            if course_id is not None
            else await repository.get_course_by_slug(session, slug or "")
        )
        if course is None:
            raise CourseNotFound()
        read = await course_read(session, course)
        await cache.set(CACHE_NAMESPACE, key, read.model_dump(mode="json"))
    if not await _can_view(session, principal, read):
        raise CourseNotFound()
    return read


# Changing courses


async def _unique_course_slug(
    session: AsyncSession, title: str, *, current: str | None = None
) -> str:
    base = slugify(title, fallback="course")
    taken = await repository.slugs_like(session, base)
    taken.discard(current or "")
    return first_free(base, taken)


async def _flush(session: AsyncSession) -> None:
    try:
        await session.flush()
    except IntegrityError as exc:  # two writers picked the same slug at once
        raise SlugTaken() from exc


async def create_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, data: CourseCreate
) -> Course:
    """A new draft course owned by the caller (an admin may name another instructor)."""
    instructor_id = principal.id
    if data.instructor_id is not None and data.instructor_id != principal.id:
        if not principal.is_admin:
            raise Forbidden(
                "Only an admin creates a course for another instructor.", code="forbidden"
            )
        instructor = (await users.get_users(session, [data.instructor_id])).get(data.instructor_id)
        if instructor is None or instructor.role not in ("instructor", "admin"):
            raise RuleViolation("instructor_id is not an instructor.", code="not_an_instructor")
        instructor_id = instructor.id
    return await add_course(session, cache=cache, instructor_id=instructor_id, data=data)


async def add_course(
    session: AsyncSession, *, cache: Cache, instructor_id: uuid.UUID, data: CourseCreate
) -> Course:
    """Insert a draft course for ``instructor_id`` (no authorization: callers check)."""
    course = Course(
        title=data.title,
        slug=await _unique_course_slug(session, data.title),
        description=data.description,
        instructor_id=instructor_id,
        category=data.category,
        difficulty_level=data.difficulty_level,
        thumbnail_url=data.thumbnail_url,
        estimated_duration_minutes=data.estimated_duration_minutes,
        price=data.price,
        currency=data.currency,
        course_metadata=data.course_metadata,
        is_published=False,
    )
    session.add(course)
    await _flush(session)
    _invalidate_after_commit(session, cache)
    return course


async def find_course(
    session: AsyncSession, *, instructor_id: uuid.UUID, title: str
) -> Course | None:
    """The instructor's course with exactly this title, if any."""
    return await repository.get_course_by_title(session, instructor_id=instructor_id, title=title)


async def _publish(session: AsyncSession, course: Course) -> None:
    await repository.lock_course(session, course.id)
    if await repository.count_lessons(session, course.id) == 0:
        raise RuleViolation(
            "A course needs at least one lesson before it is published.",
            code="course_has_no_lessons",
        )
    if not course.is_published:
        course.is_published = True
        course.published_at = utcnow()


def _unpublish(course: Course) -> None:
    # Enrollments stay: enrolled students keep their access and progress.
    course.is_published = False
    course.published_at = None


async def update_course(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal,
    course_id: uuid.UUID,
    data: CourseUpdate,
) -> Course:
    """Change a course (owner or admin). The slug follows the title only when asked."""
    course = await get_managed_course_or_raise(session, principal=principal, course_id=course_id)
    changes = data.model_dump(exclude_unset=True, exclude={"regenerate_slug", "is_published"})
    for field, value in changes.items():
        setattr(course, field, value)
    if data.regenerate_slug:
        course.slug = await _unique_course_slug(session, course.title, current=course.slug)
    if "is_published" in data.model_fields_set:
        if data.is_published:
            await _publish(session, course)
        else:
            _unpublish(course)
    await _flush(session)
    _invalidate_after_commit(session, cache)
    return course


async def publish_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> Course:
    """Draft → published (idempotent); needs at least one lesson."""
    course = await get_managed_course_or_raise(session, principal=principal, course_id=course_id)
    await publish(session, cache=cache, course=course)
    return course


async def publish(session: AsyncSession, *, cache: Cache, course: Course) -> None:
    """Publish ``course`` (no authorization: callers check); needs at least one lesson."""
    await _publish(session, course)
    await session.flush()
    _invalidate_after_commit(session, cache)


async def unpublish_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> Course:
    """Back to draft (idempotent). Enrollments are kept."""
    course = await get_managed_course_or_raise(session, principal=principal, course_id=course_id)
    _unpublish(course)
    await session.flush()
    _invalidate_after_commit(session, cache)
    return course


async def delete_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> None:
    """Delete a course and its lessons; refused (409) while students are enrolled."""
    course = await get_managed_course_or_raise(session, principal=principal, course_id=course_id)
    await repository.lock_course(session, course.id)
    for guard in _course_deletion_guards:
        await guard(session, course)
    await repository.delete_course(session, course.id)
    session.expunge(course)
    _invalidate_after_commit(session, cache)


# Lessons


def lesson_read(lesson: Lesson | Row[Any], *, full_access: bool) -> LessonRead:
    """The lesson (an object or a row of its columns) as the caller may see it."""
    read = LessonRead.model_validate(lesson)
    if not (full_access or lesson.is_preview):
        read.content = None
        read.video_url = None
        read.content_locked = True
    return read


async def list_lessons(
    session: AsyncSession, *, principal: Principal | None, course_id: uuid.UUID, page: PageParams
) -> Page[LessonRead]:
    """A course's lessons in order, for anyone who may see the course."""
    course = await get_visible_course_or_raise(session, principal=principal, course_id=course_id)
    full_access = await has_full_content_access(session, principal, course)
    lessons, total = await repository.page_lessons(
        session, course.id, offset=page.offset, limit=page.page_size
    )
    return Page[LessonRead](
        items=[lesson_read(lesson, full_access=full_access) for lesson in lessons],
        total=total,
        page=page.page,
        page_size=page.page_size,
    )


async def get_lesson_view(
    session: Executor, *, principal: Principal | None, lesson_id: uuid.UUID
) -> LessonRead:
    """One lesson; 404 if its course is invisible to the caller, material withheld as
    the module docstring says."""
    row = (
        await session.execute(
            _access_statement("lesson_with_course"),
            {"lesson_id": lesson_id, "user_id": principal.id if principal else None},
        )
    ).first()
    if row is None:
        raise LessonNotFound()
    # The rules of _can_view and has_full_content_access, with the enrollment read in
    # the same statement.
    full_access = bool(row.enrolled) or (
        principal is not None and (principal.is_admin or principal.id == row.course_instructor_id)
    )
    if not (row.course_is_published or full_access):
        raise LessonNotFound()
    return lesson_read(row, full_access=full_access)


async def _managed_lesson(
    session: AsyncSession, principal: Principal, lesson_id: uuid.UUID
) -> tuple[Lesson, Course]:
    lesson = await get_lesson_or_raise(session, lesson_id)
    try:
        course = await get_visible_course_or_raise(
            session, principal=principal, course_id=lesson.course_id
        )
    except CourseNotFound as exc:
        raise LessonNotFound() from exc
    require_course_manager(principal, course)
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
    """Add a lesson (owner or admin); enrolled students get a progress row for it."""
    course = await get_managed_course_or_raise(session, principal=principal, course_id=course_id)
    return await add_lesson(session, cache=cache, course=course, data=data)


async def add_lesson(
    session: AsyncSession, *, cache: Cache, course: Course, data: LessonCreate
) -> Lesson:
    """Insert a lesson into ``course`` (no authorization: callers check)."""
    await repository.lock_course(session, course.id)
    if data.parent_lesson_id is not None:
        await _check_parent(session, course.id, data.parent_lesson_id)
    order_index = data.order_index
    if order_index is None:
        order_index = await repository.next_order_index(session, course.id)
    lesson = Lesson(
        course_id=course.id,
        title=data.title,
        slug=await _unique_lesson_slug(session, course.id, data.title),
        description=data.description,
        content=data.content,
        lesson_type=data.lesson_type,
        order_index=order_index,
        parent_lesson_id=data.parent_lesson_id,
        duration_minutes=data.duration_minutes,
        video_url=data.video_url,
        is_preview=data.is_preview,
        lesson_metadata=data.lesson_metadata,
    )
    session.add(lesson)
    await _flush(session)
    for listener in _lesson_created_listeners:
        await listener(session, lesson)
    _invalidate_after_commit(session, cache)
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
    changes: dict[str, Any] = data.model_dump(exclude_unset=True, exclude={"regenerate_slug"})
    if changes.get("parent_lesson_id") is not None:
        await _check_parent(session, course.id, changes["parent_lesson_id"], lesson_id=lesson.id)
    for field, value in changes.items():
        setattr(lesson, field, value)
    if data.regenerate_slug:
        lesson.slug = await _unique_lesson_slug(
            session, course.id, lesson.title, current=lesson.slug
        )
    await _flush(session)
    _invalidate_after_commit(session, cache)
    return lesson


async def delete_lesson(
    session: AsyncSession, *, cache: Cache, principal: Principal, lesson_id: uuid.UUID
) -> None:
    """Delete a lesson (owner or admin). Its progress rows go with it and every
    enrollment's counters are recomputed; nested lessons move to the top level."""
    lesson, course = await _managed_lesson(session, principal, lesson_id)
    await repository.lock_course(session, course.id)
    await repository.delete_lesson(session, lesson.id)
    session.expunge(lesson)
    for listener in _lesson_deleted_listeners:
        await listener(session, course.id, lesson_id)
    _invalidate_after_commit(session, cache)


async def reorder_lessons(
    session: AsyncSession, *, cache: Cache, principal: Principal, data: LessonReorder
) -> list[Lesson]:
    """Rewrite the order of a course's lessons in one statement. The list must name every
    lesson of the course exactly once; positions become 1..n."""
    course = await get_managed_course_or_raise(
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
    _invalidate_after_commit(session, cache)
    return await repository.lessons_of(session, course.id)
