"""Small async factories that build courses and lessons through the HTTP API."""

from __future__ import annotations

from typing import Any

import httpx

from tests.conftest import Account


async def create_course(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": "Intro to Testing", "description": "Learn to test.", **fields}
    response = await client.post("/courses", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    course: dict[str, Any] = response.json()
    return course


async def add_lesson(
    client: httpx.AsyncClient, owner: Account, course_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"title": "A lesson", "content": "Secret material", **fields}
    if "content_type" not in body:
        body.setdefault("lesson_type", "text")
    response = await client.post(f"/courses/{course_id}/lessons", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    lesson: dict[str, Any] = response.json()
    return lesson


async def published_course(
    client: httpx.AsyncClient, owner: Account, *, lessons: int = 3, **fields: Any
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A published course with ``lessons`` text lessons (the first one a preview)."""
    course = await create_course(client, owner, **fields)
    created = [
        await add_lesson(
            client,
            owner,
            course["id"],
            title=f"Lesson {index + 1}",
            is_preview=index == 0,
        )
        for index in range(lessons)
    ]
    response = await client.post(f"/courses/{course['id']}/publish", headers=owner.headers)
    assert response.status_code == 200, response.text
    published: dict[str, Any] = response.json()
    return published, created


async def enroll(client: httpx.AsyncClient, student: Account, course_id: str) -> dict[str, Any]:
    response = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": course_id}
    )
    assert response.status_code == 201, response.text
    enrollment: dict[str, Any] = response.json()
    return enrollment
