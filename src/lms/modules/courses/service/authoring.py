"""Authoring courses: create, change, publish and unpublish, delete; slugs follow the
title, unique across courses."""

from __future__ import annotations

import uuid

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.cache import Cache
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, RuleViolation
from lms.modules import users
from lms.modules.courses import repository
from lms.modules.courses.events import CourseDeleting, CoursePublished, CourseUnpublished
from lms.modules.courses.models import Course
from lms.modules.courses.schemas import CourseCreate, CourseSummary, CourseUpdate
from lms.modules.courses.service.catalogue import invalidate_after_commit
from lms.modules.courses.service.drip import check_prerequisites_acyclic
from lms.modules.courses.service.lookups import (
    access_to,
    load_course_or_raise,
    load_managed_course_or_raise,
    summary_of,
)
from lms.modules.courses.service.policy import CoursePolicy, authorize
from lms.modules.courses.slugs import first_free, slugify


class SlugTaken(Conflict):
    code = "slug_taken"
    detail = "Another course or lesson took this slug at the same moment; retry."


async def _unique_course_slug(
    session: AsyncSession, title: str, *, current: str | None = None
) -> str:
    base = slugify(title, fallback="course")
    taken = await repository.slugs_like(session, base)
    taken.discard(current or "")
    return first_free(base, taken)


async def flush_or_slug_taken(session: AsyncSession) -> None:
    """Flush; a slug another writer took meanwhile becomes ``SlugTaken`` (409)."""
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
        instructor = await users.get_user_summary(session, data.instructor_id)
        if instructor is None or instructor.role not in ("instructor", "admin"):
            raise RuleViolation("instructor_id is not an instructor.", code="not_an_instructor")
        instructor_id = instructor.id
    return await _insert_course(session, cache=cache, instructor_id=instructor_id, data=data)


async def add_course(
    session: AsyncSession, *, cache: Cache, instructor_id: uuid.UUID, data: CourseCreate
) -> CourseSummary:
    """Insert a draft course for ``instructor_id`` (no authorization: callers check)."""
    return summary_of(
        await _insert_course(session, cache=cache, instructor_id=instructor_id, data=data)
    )


async def _insert_course(
    session: AsyncSession, *, cache: Cache, instructor_id: uuid.UUID, data: CourseCreate
) -> Course:
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
        lessons_in_order=data.lessons_in_order,
        is_published=False,
    )
    session.add(course)
    await flush_or_slug_taken(session)
    invalidate_after_commit(session, cache)
    return course


async def find_course(
    session: AsyncSession, *, instructor_id: uuid.UUID, title: str
) -> CourseSummary | None:
    """The instructor's course with exactly this title, if any."""
    course = await repository.get_course_by_title(session, instructor_id=instructor_id, title=title)
    return summary_of(course) if course is not None else None


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
        await events.publish(
            session,
            CoursePublished(
                course_id=course.id,
                instructor_id=course.instructor_id,
                title=course.title,
                slug=course.slug,
                price=course.price,
                currency=course.currency,
                published_at=course.published_at,
            ),
        )


async def _unpublish(session: AsyncSession, course: Course) -> None:
    # Enrollments stay: enrolled students keep their access and progress.
    was_published = course.is_published
    course.is_published = False
    course.published_at = None
    if was_published:
        await events.publish(
            session,
            CourseUnpublished(
                course_id=course.id,
                instructor_id=course.instructor_id,
                title=course.title,
                slug=course.slug,
            ),
        )


async def update_course(
    session: AsyncSession,
    *,
    cache: Cache,
    principal: Principal,
    course_id: uuid.UUID,
    data: CourseUpdate,
) -> Course:
    """Change a course (its owner, co-instructors, admins; the price and currency only
    the owner and admins). The slug follows the title only when asked."""
    course = await load_managed_course_or_raise(session, principal=principal, course_id=course_id)
    if {"price", "currency"} & data.model_fields_set:
        authorize(
            CoursePolicy.own(await access_to(session, principal, course)),
            "Only the course's owner or an admin changes its price.",
        )
    changes = data.model_dump(exclude_unset=True, exclude={"regenerate_slug", "is_published"})
    for field, value in changes.items():
        setattr(course, field, value)
    if data.regenerate_slug:
        course.slug = await _unique_course_slug(session, course.title, current=course.slug)
    if "is_published" in data.model_fields_set:
        if data.is_published:
            await _publish(session, course)
        else:
            await _unpublish(session, course)
    await flush_or_slug_taken(session)
    if changes.get("lessons_in_order"):
        await repository.lock_course(session, course.id)
        await check_prerequisites_acyclic(session, course.id)
    invalidate_after_commit(session, cache)
    return course


async def publish_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> Course:
    """Draft → published (idempotent); needs at least one lesson."""
    course = await load_managed_course_or_raise(session, principal=principal, course_id=course_id)
    await _publish_and_flush(session, cache=cache, course=course)
    return course


async def publish(session: AsyncSession, *, cache: Cache, course_id: uuid.UUID) -> None:
    """Publish the course (no authorization: callers check); needs at least one lesson."""
    course = await load_course_or_raise(session, course_id)
    await _publish_and_flush(session, cache=cache, course=course)


async def _publish_and_flush(session: AsyncSession, *, cache: Cache, course: Course) -> None:
    await _publish(session, course)
    await session.flush()
    invalidate_after_commit(session, cache)


async def unpublish_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> Course:
    """Back to draft (idempotent). Enrollments are kept."""
    course = await load_managed_course_or_raise(session, principal=principal, course_id=course_id)
    await _unpublish(session, course)
    await session.flush()
    invalidate_after_commit(session, cache)
    return course


async def delete_course(
    session: AsyncSession, *, cache: Cache, principal: Principal, course_id: uuid.UUID
) -> None:
    """Delete a course and its lessons; refused (409) while students are enrolled or
    have paid for it (the modules that keep those refuse ``CourseDeleting``). The owner
    and admins only."""
    course = await load_managed_course_or_raise(
        session, principal=principal, course_id=course_id, rule=CoursePolicy.own
    )
    await repository.lock_course(session, course.id)
    await events.publish(session, CourseDeleting(course_id=course.id))
    await repository.delete_course(session, course.id)
    session.expunge(course)
    invalidate_after_commit(session, cache)
