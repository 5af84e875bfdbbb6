"""Enrollments: enrolling, completing lessons and reading what a student has."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.api import Caller, ok
from tests.factories.courses import published_course


async def try_enroll(client: httpx.AsyncClient, student: Caller, course_id: str) -> httpx.Response:
    """The API's answer to ``student`` enrolling in the course, whatever it is."""
    return await client.post("/enrollments", headers=student.headers, json={"course_id": course_id})


async def enroll(client: httpx.AsyncClient, student: Caller, course_id: str) -> dict[str, Any]:
    """``student``'s new enrollment in the course."""
    return ok(await try_enroll(client, student, course_id), 201)


async def get_enrollment(
    client: httpx.AsyncClient, student: Caller, enrollment_id: str
) -> dict[str, Any]:
    """The enrollment as its student reads it (counters and lesson progress)."""
    return ok(await client.get(f"/enrollments/{enrollment_id}", headers=student.headers), 200)


async def complete_lesson(
    client: httpx.AsyncClient, student: Caller, enrollment_id: str, lesson_id: str
) -> dict[str, Any]:
    """Mark the lesson completed in the enrollment; returns the lesson's progress."""
    url = f"/enrollments/{enrollment_id}/lessons/{lesson_id}/complete"
    return ok(await client.post(url, headers=student.headers), 200)


async def complete_course(
    client: httpx.AsyncClient,
    instructor: Caller,
    student: Caller,
    *,
    lessons: int = 2,
    **course_fields: Any,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A published course of ``lessons`` lessons that ``student`` enrolled in and
    completed (which queues its certificate); returns the course and the enrollment."""
    course, made = await published_course(client, instructor, lessons=lessons, **course_fields)
    enrollment = await enroll(client, student, course["id"])
    for lesson in made:
        await complete_lesson(client, student, enrollment["id"], lesson["id"])
    return course, enrollment


async def my_courses(client: httpx.AsyncClient, student: Caller) -> list[dict[str, Any]]:
    """The first page of ``student``'s enrollments (GET /enrollments/my-courses)."""
    page = ok(await client.get("/enrollments/my-courses", headers=student.headers), 200)
    items: list[dict[str, Any]] = page["items"]
    return items


async def enrolled_in(client: httpx.AsyncClient, student: Caller) -> list[str]:
    """The ids of the courses on the first page of ``student``'s enrollments."""
    return [item["course_id"] for item in await my_courses(client, student)]
