"""Courses and lessons: the catalogue, course management, lessons and their order."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, status

from lms.core.conditional import require_current
from lms.core.deps import (
    CacheDep,
    CurrentPrincipal,
    OptionalPrincipal,
    ReadConnectionDep,
    SessionDep,
    StaffPrincipal,
)
from lms.core.errors import problem_responses
from lms.core.httpcache import cache_publicly
from lms.core.pagination import Page, Pagination
from lms.core.routing import TransactionalRoute, creates, read_only
from lms.modules.courses import service
from lms.modules.courses.schemas import (
    CourseCreate,
    CourseFilters,
    CourseRead,
    CourseUpdate,
    DifficultyLevel,
    LessonCreate,
    LessonRead,
    LessonReorder,
    LessonUpdate,
)

courses_router = APIRouter(
    prefix="/courses",
    tags=["courses"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)
lessons_router = APIRouter(
    prefix="/lessons",
    tags=["lessons"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


async def _filters(
    category: Annotated[str | None, Query(max_length=100)] = None,
    difficulty_level: DifficultyLevel | None = None,
    search: Annotated[
        str | None, Query(max_length=100, description="Words in the title or description")
    ] = None,
    instructor_id: uuid.UUID | None = None,
    is_published: Annotated[
        bool | None,
        Query(description="false: the drafts you may see (yours; every draft for admins)"),
    ] = None,
    mine: Annotated[
        bool,
        Query(description="Only the courses you own or teach, drafts included (needs sign-in)"),
    ] = False,
) -> CourseFilters:
    return CourseFilters(
        category=category.replace("\x00", "") if category else None,
        difficulty_level=difficulty_level,
        search=search.replace("\x00", "").strip() if search else None,
        instructor_id=instructor_id,
        is_published=is_published,
        mine=mine,
    )


Filters = Annotated[CourseFilters, Depends(_filters)]


async def _require_current_course(
    request: Request,
    session: SessionDep,
    cache: CacheDep,
    principal: StaffPrincipal,
    course_id: uuid.UUID,
) -> None:
    """412 unless ``If-Match`` names the course as its GET shows it to the caller."""
    await require_current(
        request,
        lambda: service.get_course_view(
            session, cache=cache, principal=principal, course_id=course_id
        ),
    )


async def _require_current_lesson(
    request: Request, session: SessionDep, principal: StaffPrincipal, lesson_id: uuid.UUID
) -> None:
    """412 unless ``If-Match`` names the lesson as its GET shows it to the caller."""

    async def current() -> LessonRead:
        connection = await session.connection()
        return await service.get_lesson_view(connection, principal=principal, lesson_id=lesson_id)

    await require_current(request, current)


PAGE_PARAMS = ("page", "page_size")
LIST_PARAMS = (*PAGE_PARAMS, "category", "difficulty_level", "instructor_id", "is_published")


def _public(request: Request, principal: OptionalPrincipal) -> None:
    """An anonymous caller's answer is everyone's: keep it for the next one (see
    lms.core.httpcache). Drafts never reach here for anonymous callers (404)."""
    if principal is None:
        cache_publicly(request, service.CACHE_NAMESPACE, params=PAGE_PARAMS)


@courses_router.get("", response_model=Page[CourseRead])
@read_only
async def list_courses(
    request: Request,
    session: SessionDep,
    cache: CacheDep,
    principal: OptionalPrincipal,
    pagination: Pagination,
    filters: Filters,
) -> Page[CourseRead]:
    """The catalogue: published courses, newest first, filtered by category, difficulty,
    instructor or a search over title and description. `mine=true` lists the caller's own
    courses, drafts included. Cached; every change to a course or its lessons clears it."""
    result = await service.list_courses(
        session, cache=cache, principal=principal, filters=filters, page=pagination
    )
    if principal is None and filters.is_public and not filters.search:
        cache_publicly(request, service.CACHE_NAMESPACE, params=LIST_PARAMS)
    return result


@courses_router.post("", response_model=CourseRead, status_code=status.HTTP_201_CREATED)
@creates("/courses/{id}")
async def create_course(
    data: CourseCreate, session: SessionDep, cache: CacheDep, principal: StaffPrincipal
) -> CourseRead:
    """Create a draft course (instructors and admins). The slug comes from the title."""
    course = await service.create_course(session, cache=cache, principal=principal, data=data)
    return await service.course_read(session, course)


@courses_router.get("/slug/{slug}", response_model=CourseRead)
@read_only
async def get_course_by_slug(
    request: Request,
    slug: Annotated[str, Path(max_length=255)],
    session: SessionDep,
    cache: CacheDep,
    principal: OptionalPrincipal,
) -> CourseRead:
    """One course by its slug (drafts only for their instructor and admins)."""
    read = await service.get_course_view(session, cache=cache, principal=principal, slug=slug)
    _public(request, principal)
    return read


@courses_router.get("/{course_id}", response_model=CourseRead)
@read_only
async def get_course(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    cache: CacheDep,
    principal: OptionalPrincipal,
) -> CourseRead:
    """One course (drafts only for their instructor and admins; others get 404)."""
    read = await service.get_course_view(
        session, cache=cache, principal=principal, course_id=course_id
    )
    _public(request, principal)
    return read


@courses_router.patch("/{course_id}", response_model=CourseRead)
async def update_course(
    request: Request,
    course_id: uuid.UUID,
    data: CourseUpdate,
    session: SessionDep,
    cache: CacheDep,
    principal: CurrentPrincipal,
) -> CourseRead:
    """Change a course (its owner, co-instructors or an admin; the price and currency
    only the owner and admins). The slug stays unless `regenerate_slug` is true;
    `is_published` publishes or unpublishes; `lessons_in_order: true` makes each lesson
    wait for the one before it (422 `prerequisite_cycle` if a prerequisite comes later
    in the order). With `If-Match` (the course's `ETag`) a change made since you read it
    is 412 `precondition_failed`."""
    await _require_current_course(request, session, cache, principal, course_id)
    course = await service.update_course(
        session, cache=cache, principal=principal, course_id=course_id, data=data
    )
    return await service.course_read(session, course)


@courses_router.delete("/{course_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_course(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    cache: CacheDep,
    principal: CurrentPrincipal,
) -> None:
    """Delete a course and its lessons (its owner or an admin). Refused with 409 while
    students are enrolled: unpublish it instead. Honours `If-Match` like `PATCH`."""
    await _require_current_course(request, session, cache, principal, course_id)
    await service.delete_course(session, cache=cache, principal=principal, course_id=course_id)


@courses_router.post("/{course_id}/publish", response_model=CourseRead)
async def publish_course(
    course_id: uuid.UUID, session: SessionDep, cache: CacheDep, principal: CurrentPrincipal
) -> CourseRead:
    """Draft → published. Needs at least one lesson (422 otherwise)."""
    course = await service.publish_course(
        session, cache=cache, principal=principal, course_id=course_id
    )
    return await service.course_read(session, course)


@courses_router.post("/{course_id}/unpublish", response_model=CourseRead)
async def unpublish_course(
    course_id: uuid.UUID, session: SessionDep, cache: CacheDep, principal: CurrentPrincipal
) -> CourseRead:
    """Published → draft. Enrolled students keep their enrollment and access."""
    course = await service.unpublish_course(
        session, cache=cache, principal=principal, course_id=course_id
    )
    return await service.course_read(session, course)


@courses_router.get("/{course_id}/lessons", response_model=Page[LessonRead])
@read_only
async def list_lessons(
    request: Request,
    course_id: uuid.UUID,
    session: SessionDep,
    principal: OptionalPrincipal,
    pagination: Pagination,
) -> Page[LessonRead]:
    """The course's lessons in order. The material (`content`, `video_url`) of a
    non-preview lesson is only for enrolled students, the instructor and admins; others
    see it as null with `content_locked: true`. Every lesson shows its unlock rules; for
    an enrolled student each shows `locked`, and when locked `unlocks_at`,
    `lock_reason` and `blocking_lesson_ids` (the team never sees a lock)."""
    page = await service.list_lessons(
        session, principal=principal, course_id=course_id, page=pagination
    )
    _public(request, principal)
    return page


@courses_router.post(
    "/{course_id}/lessons", response_model=LessonRead, status_code=status.HTTP_201_CREATED
)
@creates("/lessons/{id}")
async def create_lesson(
    course_id: uuid.UUID,
    data: LessonCreate,
    session: SessionDep,
    cache: CacheDep,
    principal: CurrentPrincipal,
) -> LessonRead:
    """Add a lesson (the course's owner, co-instructors or an admin). `content_type` is accepted for
    `lesson_type`; without `order_index` it goes last; `parent_lesson_id` nests it under
    another lesson of the same course. Drip release: `unlock_at` (an instant) or
    `unlock_after_days` (after the student's `enrollment` or `cohort_start`, as
    `unlock_relative_to` says), and `prerequisite_ids` (lessons of the same course;
    422 `prerequisite_not_in_course` otherwise)."""
    lesson = await service.create_lesson(
        session, cache=cache, principal=principal, course_id=course_id, data=data
    )
    return service.lesson_read(lesson, full_access=True, prerequisite_ids=data.prerequisite_ids)


# Declared before /lessons/{lesson_id}, which would otherwise take "reorder" for an id.
@lessons_router.patch("/reorder", response_model=list[LessonRead])
async def reorder_lessons(
    data: LessonReorder, session: SessionDep, cache: CacheDep, principal: CurrentPrincipal
) -> list[LessonRead]:
    """Set the order of a course's lessons at once: `lesson_ids` lists every lesson of the
    course in the new order. Returns the lessons in that order. In a course taken in
    order, an order that puts a lesson before one of its prerequisites is 422
    `prerequisite_cycle`."""
    lessons = await service.reorder_lessons(session, cache=cache, principal=principal, data=data)
    prerequisites = await service.prerequisites_in_course(session, data.course_id)
    return [
        service.lesson_read(lesson, full_access=True, prerequisite_ids=prerequisites.get(lesson.id))
        for lesson in lessons
    ]


@lessons_router.get("/{lesson_id}", response_model=LessonRead)
@read_only
async def get_lesson(
    request: Request,
    lesson_id: uuid.UUID,
    connection: ReadConnectionDep,
    principal: OptionalPrincipal,
) -> LessonRead:
    """One lesson. Without access to its material (not enrolled, not a preview) the lesson
    comes back with `content` and `video_url` null and `content_locked: true`. For an
    enrolled student a lesson locked by drip release is 403 `lesson_locked`, with
    `lock_reason`, `unlocks_at` and `blocking_lesson_ids` in the problem details."""
    read = await service.get_lesson_view(connection, principal=principal, lesson_id=lesson_id)
    _public(request, principal)
    return read


@lessons_router.patch("/{lesson_id}", response_model=LessonRead)
async def update_lesson(
    request: Request,
    lesson_id: uuid.UUID,
    data: LessonUpdate,
    session: SessionDep,
    cache: CacheDep,
    principal: CurrentPrincipal,
) -> LessonRead:
    """Change a lesson (the course's owner, co-instructors or an admin). With `If-Match`
    (the lesson's `ETag`) a change made since you read it is 412 `precondition_failed`.
    Drip release: `unlock_at`, `unlock_after_days`, `unlock_relative_to` and
    `prerequisite_ids` (replaced as a whole; `[]` removes them). 422
    `unlock_rule_conflict` when both date rules would be set, `prerequisite_cycle` when
    lessons would wait for each other, `prerequisite_not_in_course` for another
    course's lesson."""
    await _require_current_lesson(request, session, principal, lesson_id)
    lesson = await service.update_lesson(
        session, cache=cache, principal=principal, lesson_id=lesson_id, data=data
    )
    return service.lesson_read(
        lesson,
        full_access=True,
        prerequisite_ids=await service.prerequisites_of(session, lesson.id),
    )


@lessons_router.delete("/{lesson_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_lesson(
    request: Request,
    lesson_id: uuid.UUID,
    session: SessionDep,
    cache: CacheDep,
    principal: CurrentPrincipal,
) -> None:
    """Delete a lesson (the course's owner, co-instructors or an admin). Enrolled
    students' counters and percentages are recomputed. Honours `If-Match` like `PATCH`."""
    await _require_current_lesson(request, session, principal, lesson_id)
    await service.delete_lesson(session, cache=cache, principal=principal, lesson_id=lesson_id)
