"""``lms seed-demo`` gives a newcomer a real catalogue, and running it again changes
nothing."""

from __future__ import annotations

from typing import Any

import httpx

from lms.core.config import Settings
from lms.demo import seed


async def test_seed_demo_creates_a_published_catalogue_once(
    app: Any, settings: Settings, client: httpx.AsyncClient
) -> None:
    await seed(app.state.sessionmaker, settings)
    await seed(app.state.sessionmaker, settings)

    catalogue = (await client.get("/courses")).json()
    assert catalogue["total"] == 3
    titles = [course["title"] for course in catalogue["items"]]
    assert any("\u0600" <= ch <= "\u06ff" for title in titles for ch in title)  # Arabic
    assert {course["instructor_name"] for course in catalogue["items"]} == {"Dana Instructor"}
    for course in catalogue["items"]:
        assert course["is_published"] and course["lessons_count"] >= 3
        lessons = (await client.get(f"/courses/{course['id']}/lessons")).json()["items"]
        types = {lesson["lesson_type"] for lesson in lessons}
        assert {"video", "text"} <= types
        assert sum(lesson["is_preview"] for lesson in lessons) == 1

    login = await client.post(
        "/auth/login", json={"email": "student@demo.lms", "password": "demo-pass-123"}
    )
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    enrolled = await client.post(
        "/enrollments", headers=headers, json={"course_id": catalogue["items"][0]["id"]}
    )
    assert enrolled.status_code == 201
