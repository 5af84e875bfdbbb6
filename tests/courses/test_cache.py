"""The catalogue is served from the cache, and every change made through the API is
visible at once."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from tests.factories.accounts import Account
from tests.factories.courses import add_lesson, published_course, retitle_behind_the_api


async def test_course_detail_and_list_are_cached_and_invalidated_on_change(
    client: httpx.AsyncClient, instructor: Account, db: AsyncSession
) -> None:
    course, _ = await published_course(client, instructor, title="Original")
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] == "Original"
    assert (await client.get(f"/courses/slug/{course['slug']}")).json()["title"] == "Original"
    assert (await client.get("/courses")).json()["items"][0]["title"] == "Original"

    # A write that bypasses the API is not seen: the answers come from the cache.
    await retitle_behind_the_api(db, course["id"], "Sneaky")
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] == "Original"
    assert (await client.get(f"/courses/slug/{course['slug']}")).json()["title"] == "Original"
    assert (await client.get("/courses")).json()["items"][0]["title"] == "Original"

    # A change through the API is visible at once, everywhere.
    patched = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"title": "Renamed"}
    )
    assert patched.status_code == 200
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] == "Renamed"
    assert (await client.get(f"/courses/slug/{course['slug']}")).json()["title"] == "Renamed"
    assert (await client.get("/courses")).json()["items"][0]["title"] == "Renamed"


async def test_lesson_changes_and_unpublishing_clear_the_cache(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    assert (await client.get(f"/courses/{course['id']}")).json()["lessons_count"] == 2
    assert (await client.get("/courses")).json()["items"][0]["lessons_count"] == 2

    await add_lesson(client, instructor, course["id"])
    assert (await client.get(f"/courses/{course['id']}")).json()["lessons_count"] == 3
    assert (await client.get("/courses")).json()["items"][0]["lessons_count"] == 3

    await client.delete(f"/lessons/{lessons[0]['id']}", headers=instructor.headers)
    assert (await client.get("/courses")).json()["items"][0]["lessons_count"] == 2

    await client.post(f"/courses/{course['id']}/unpublish", headers=instructor.headers)
    assert (await client.get("/courses")).json()["total"] == 0
    assert (await client.get(f"/courses/{course['id']}")).status_code == 404
    # The owner still sees the (now draft) course, fresh.
    mine = await client.get(f"/courses/{course['id']}", headers=instructor.headers)
    assert mine.json()["is_published"] is False


async def test_a_new_published_course_appears_in_a_cached_catalogue(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    assert (await client.get("/courses")).json()["total"] == 0
    await published_course(client, instructor)
    assert (await client.get("/courses")).json()["total"] == 1
