"""A burst of requests waits for a busy pool instead of being refused; only a wait past
its bound (LMS_REDIS_POOL_WAIT_SECONDS, LMS_DATABASE_POOL_WAIT_SECONDS) is a 503 that
says when to come back. On the real Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.main import create_app
from tests.conftest import IS_POSTGRES, REDIS_URL, reset_state
from tests.factories.accounts import create_account
from tests.factories.enrollments import enroll
from tests.factories.quizzes import make_classroom
from tests.integration.conftest import require

pytestmark = pytest.mark.integration


@pytest.fixture
async def app_with(settings: Settings) -> AsyncIterator[Callable[..., Any]]:
    """Applications built with some settings changed, closed after the test."""
    made: list[Any] = []

    def make(**changes: Any) -> Any:
        application = create_app(settings.model_copy(update=changes), run_jobs=False)
        made.append(application)
        return application

    yield make
    if made:
        # What these applications wrote (accounts, enrollments, their queued emails)
        # must not reach the next test's worker.
        await reset_state(made[0])
    for application in made:
        await application.state.store.close()
        await application.state.engine.dispose()


def _client(application: Any) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1")


async def test_a_burst_of_signed_in_requests_waits_for_a_small_redis_pool(
    app_with: Callable[..., Any], settings: Settings
) -> None:
    require("Redis", REDIS_URL is not None, "LMS_TEST_REDIS_URL is not set")
    api = app_with(redis_max_connections=2, redis_pool_wait_seconds=10)
    async with _client(api) as http:
        students = [await create_account(api, http, settings, "student") for _ in range(3)]
        # Each request checks the token denylist in Redis; two connections serve them all.
        answers = await asyncio.gather(
            *(http.get("/users/me", headers=students[i % 3].headers) for i in range(90))
        )
    assert [answer.status_code for answer in answers] == [200] * 90


async def test_a_redis_wait_past_its_bound_is_503_with_retry_after(
    app_with: Callable[..., Any], settings: Settings
) -> None:
    require("Redis", REDIS_URL is not None, "LMS_TEST_REDIS_URL is not set")
    api = app_with(redis_max_connections=1, redis_pool_wait_seconds=0.2)
    async with _client(api) as http:
        student = await create_account(api, http, settings, "student")
        pool = api.state.store._redis.connection_pool
        held = await pool.get_connection()  # the pool's only connection, busy
        try:
            refused = await http.get("/users/me", headers=student.headers)
        finally:
            await pool.release(held)
        assert refused.status_code == 503
        assert refused.json()["code"] == "denylist_unavailable"  # fails closed, as documented
        assert refused.headers["retry-after"] == "1"
        assert (await http.get("/users/me", headers=student.headers)).status_code == 200


async def test_a_database_wait_past_its_bound_is_503_with_retry_after(
    app_with: Callable[..., Any], settings: Settings
) -> None:
    require("PostgreSQL", IS_POSTGRES, "LMS_TEST_DATABASE_URL is not PostgreSQL")
    api = app_with(database_pool_size=1, database_max_overflow=0, database_pool_wait_seconds=0.2)
    async with _client(api) as http:
        student = await create_account(api, http, settings, "student")
        held = await api.state.engine.connect()  # the pool's only connection, busy
        try:
            waiting = asyncio.create_task(
                http.get("/enrollments/my-courses", headers=student.headers)
            )
            refused = await waiting
        finally:
            await held.close()
        assert refused.status_code == 503, refused.text
        assert refused.json()["code"] == "database_busy"
        assert refused.headers["retry-after"] == "1"
        # A short wait is just a wait: the connection comes back within the bound.
        held = await api.state.engine.connect()
        waiting = asyncio.create_task(http.get("/enrollments/my-courses", headers=student.headers))
        await asyncio.sleep(0.05)
        await held.close()
        assert (await waiting).status_code == 200


async def test_a_revoked_token_stays_refused_during_a_burst_of_starts(
    app_with: Callable[..., Any], settings: Settings
) -> None:
    """Exam day: students press "start" at once through a small Redis pool (every
    request waits its turn for the denylist); a token revoked before the burst is refused
    every time, during it and after it, while every other student's start succeeds."""
    require("Redis", REDIS_URL is not None, "LMS_TEST_REDIS_URL is not set")
    api = app_with(redis_max_connections=3, redis_pool_wait_seconds=10)
    async with _client(api) as http:
        instructor = await create_account(api, http, settings, "instructor")
        takers = [await create_account(api, http, settings, "student") for _ in range(24)]
        room = await make_classroom(http, instructor, takers[0])
        for taker in takers[1:]:
            await enroll(http, taker, room.course_id)
        revoked = takers.pop()
        logout = await http.post(
            "/auth/logout", headers=revoked.headers, json={"refresh_token": revoked.refresh_token}
        )
        assert logout.status_code == 204

        url = f"/quizzes/{room.quiz_id}/attempts"
        burst = [http.post(url, headers=taker.headers) for taker in takers]
        burst += [http.post(url, headers=revoked.headers) for _ in range(24)]
        answers = await asyncio.gather(*burst)
        after = await http.post(url, headers=revoked.headers)

    assert [a.status_code for a in answers[: len(takers)]] == [201] * len(takers)
    refused = [*answers[len(takers) :], after]
    assert {(a.status_code, a.json()["code"]) for a in refused} == {(401, "token_revoked")}
