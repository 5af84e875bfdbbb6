"""Courses and lessons: through the API as their instructor, or as rows with exact dates."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.courses.models import Course, Lesson
from tests.factories.api import Caller, ok


async def create_course(client: httpx.AsyncClient, owner: Caller, **fields: Any) -> dict[str, Any]:
    """A draft course of ``owner`` with a title of its own; ``fields`` override the body."""
    body = {"title": f"Course {uuid.uuid4().hex[:8]}", "description": "Learn to test.", **fields}
    return ok(await client.post("/courses", headers=owner.headers, json=body), 201)


async def add_lesson(
    client: httpx.AsyncClient, owner: Caller, course_id: str, **fields: Any
) -> dict[str, Any]:
    """A lesson at the end of the course: a text lesson with "Secret material" for
    content (which only enrolled students may read) unless ``fields`` say otherwise."""
    body = {"title": f"Lesson {uuid.uuid4().hex[:8]}", "content": "Secret material", **fields}
    if "content_type" not in body:  # the older name of lesson_type; the API takes either
        body.setdefault("lesson_type", "text")
    response = await client.post(f"/courses/{course_id}/lessons", headers=owner.headers, json=body)
    return ok(response, 201)


async def publish_course(
    client: httpx.AsyncClient, owner: Caller, course_id: str
) -> dict[str, Any]:
    """Publish the course; returns it as published."""
    return ok(await client.post(f"/courses/{course_id}/publish", headers=owner.headers), 200)


async def published_course(
    client: httpx.AsyncClient,
    owner: Caller,
    *,
    lessons: int = 3,
    publish: bool = True,
    **fields: Any,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A course with ``lessons`` text lessons "Lesson 1", "Lesson 2"… (the first a free
    preview), published unless ``publish`` is false; returns the course and its lessons."""
    course = await create_course(client, owner, **fields)
    created = [
        await add_lesson(
            client, owner, course["id"], title=f"Lesson {index + 1}", is_preview=index == 0
        )
        for index in range(lessons)
    ]
    if publish:
        course = await publish_course(client, owner, course["id"])
    return course, created


async def retitle_behind_the_api(db: AsyncSession, course_id: str, title: str) -> None:
    """Rename a course in the database directly, as a write the caches never hear of."""
    await db.execute(update(Course).where(Course.id == uuid.UUID(course_id)).values(title=title))
    await commit(db)


def course_row(
    owner_id: uuid.UUID,
    title: str,
    *,
    published: bool,
    price: str = "100.00",
    currency: str = "EGP",
    created_at: datetime | None = None,
) -> Course:
    """A course row to add to a session, with a slug made unique by a random suffix."""
    course = Course(
        id=uuid.uuid4(),
        title=title,
        slug=f"{title.lower()}-{uuid.uuid4().hex[:8]}",
        instructor_id=owner_id,
        is_published=published,
        published_at=utcnow() if published else None,
        price=Decimal(price),
        currency=currency,
    )
    if created_at is not None:
        course.created_at = created_at
    return course


def lesson_row(course_id: uuid.UUID, index: int, *, created_at: datetime) -> Lesson:
    """Text lesson number ``index`` (from 0) of a course, titled "L1", "L2"…"""
    return Lesson(
        id=uuid.uuid4(),
        course_id=course_id,
        title=f"L{index + 1}",
        slug=f"l{index + 1}",
        lesson_type="text",
        order_index=index,
        created_at=created_at,
    )
