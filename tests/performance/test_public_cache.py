"""Anonymous answers that are the same for everyone are served from the store without
running the endpoint (no SQL at all), and every change made through the API shows at
once. Callers with a token always reach the endpoint."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import version_key
from tests.factories.accounts import Account
from tests.factories.courses import published_course, retitle_behind_the_api
from tests.factories.enrollments import enroll
from tests.performance.counting import counting_statements


async def test_catalogue_page_is_served_without_sql_and_refreshed_by_changes(
    app: Any, client: httpx.AsyncClient, instructor: Account
) -> None:
    course, _ = await published_course(client, instructor, title="Original")
    first = await client.get("/courses?page=1&page_size=20")
    assert first.status_code == 200
    with counting_statements(app) as statements:
        again = await client.get("/courses?page=1&page_size=20")
    assert statements.count == 0, statements
    assert again.content == first.content
    assert again.headers["content-type"] == "application/json"
    # The security headers and the request id are still added.
    assert again.headers["x-content-type-options"] == "nosniff"
    assert again.headers["x-request-id"] != first.headers["x-request-id"]

    patched = await client.patch(
        f"/courses/{course['id']}", headers=instructor.headers, json={"title": "Renamed"}
    )
    assert patched.status_code == 200
    assert (await client.get("/courses?page=1&page_size=20")).json()["items"][0][
        "title"
    ] == "Renamed"


async def test_course_and_lesson_outline_are_cached_for_anonymous_callers_only(
    app: Any, client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    course, lessons = await published_course(client, instructor, lessons=2)
    outline = f"/courses/{course['id']}/lessons"
    anonymous = (await client.get(outline)).json()
    assert anonymous["items"][1]["content_locked"] is True
    with counting_statements(app) as statements:
        assert (await client.get(outline)).json() == anonymous
        assert (await client.get(f"/courses/{course['id']}")).status_code == 200
        await client.get(f"/courses/{course['id']}")
    assert statements.count <= 3, statements  # the course detail's first answer only

    # An enrolled student's answer is their own: the material is there.
    await enroll(client, student, course["id"])
    mine = (await client.get(outline, headers=student.headers)).json()
    assert mine["items"][1]["content_locked"] is False
    assert mine["items"][1]["content"] == "Secret material"
    lesson = (await client.get(f"/lessons/{lessons[1]['id']}", headers=student.headers)).json()
    assert lesson["content"] == "Secret material"
    assert (await client.get(f"/lessons/{lessons[1]['id']}")).json()["content"] is None


async def test_a_bad_token_is_refused_even_when_the_anonymous_answer_is_cached(
    client: httpx.AsyncClient, instructor: Account
) -> None:
    await published_course(client, instructor)
    assert (await client.get("/courses")).status_code == 200
    refused = await client.get("/courses", headers={"Authorization": "Bearer not-a-token"})
    assert refused.status_code == 401


async def test_unknown_or_repeated_parameters_are_not_cached(
    app: Any, client: httpx.AsyncClient, instructor: Account
) -> None:
    await published_course(client, instructor)
    store = app.state.store

    async def kept(url: str) -> bool:
        path, _, query = url.partition("?")
        _version, value = await store.get_versioned(
            version_key("courses"), "cache:courses:", f":http:/api/v1{path}?{query}"
        )
        return value is not None

    assert (await client.get("/courses?page=1")).status_code == 200
    assert await kept("/courses?page=1")
    for url in ("/courses?page=1&junk=1", "/courses?page=1&page=1", "/courses?search=intro"):
        assert (await client.get(url)).status_code == 200
        assert not await kept(url), url


async def test_drafts_stay_hidden_and_publishing_shows_them(
    client: httpx.AsyncClient, instructor: Account, db: AsyncSession
) -> None:
    course, _ = await published_course(client, instructor)
    await client.post(f"/courses/{course['id']}/unpublish", headers=instructor.headers)
    assert (await client.get(f"/courses/{course['id']}")).status_code == 404
    assert (await client.get(f"/courses/{course['id']}/lessons")).status_code == 404
    await client.post(f"/courses/{course['id']}/publish", headers=instructor.headers)
    assert (await client.get(f"/courses/{course['id']}")).status_code == 200
    assert (await client.get(f"/courses/{course['id']}/lessons")).status_code == 200

    # A write behind the API's back is not seen until the cache entry expires or a
    # change through the API invalidates it (as for the JSON cache).
    await retitle_behind_the_api(db, course["id"], "Behind")
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] != "Behind"
    await client.patch(f"/courses/{course['id']}", headers=instructor.headers, json={})
    assert (await client.get(f"/courses/{course['id']}")).json()["title"] == "Behind"
