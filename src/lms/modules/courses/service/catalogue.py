"""Reading the catalogue: lists and single courses as the API shows them, cached in
the ``courses`` namespace; every change to a course or lesson invalidates it after the
commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Cache
from lms.core.deps import Principal
from lms.core.errors import Unauthorized
from lms.core.pagination import Page, PageParams
from lms.core.session import run_after_commit
from lms.modules import users
from lms.modules.courses import repository
from lms.modules.courses.models import Course
from lms.modules.courses.schemas import CourseFilters, CourseRead
from lms.modules.courses.service.lookups import CourseNotFound, can_view

CACHE_NAMESPACE = "courses"


def invalidate_after_commit(session: AsyncSession, cache: Cache) -> None:
    """Empty the catalogue cache once the change is committed (not before: a reader
    in between would cache the old state again)."""

    async def invalidate() -> None:
        await cache.invalidate(CACHE_NAMESPACE)

    run_after_commit(session, invalidate)


async def _course_reads(
    session: AsyncSession, rows: Sequence[tuple[Course, int]]
) -> list[CourseRead]:
    instructors = await users.get_user_summaries(session, list({c.instructor_id for c, _ in rows}))
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
    if not await can_view(session, principal, read):
        raise CourseNotFound()
    return read
