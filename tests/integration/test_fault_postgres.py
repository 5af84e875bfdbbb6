"""PostgreSQL drops every connection of the API in the middle of a burst of requests
(what a server restart does to the clients; the shared server itself is not restarted:
every backend of this test database is terminated instead, three times). Requests caught
on a dropped connection answer 503 (retry), never 500; the pool replaces the dead
connections by itself, and the next burst succeeds entirely."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
import asyncpg
import httpx
import pytest

from lms.core.config import Settings
from lms.main import create_app
from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.factories.accounts import Account, create_account
from tests.factories.courses import published_course
from tests.integration.conftest import free_port, require

pytestmark = pytest.mark.integration

# With a timeout the call returns once each backend has exited, not when it was
# signalled: the next request cannot reach a backend still on its way out.
TERMINATE = (
    "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity "
    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
)


async def _terminate_all_backends() -> int:
    for _ in range(50):  # the server is shared: wait for a free connection slot
        try:
            connection = await asyncpg.connect(DATABASE_URL.replace("+asyncpg", ""))
            break
        except asyncpg.exceptions.TooManyConnectionsError:
            await anyio.sleep(0.1)
    else:
        raise AssertionError("no connection slot to terminate the backends from")
    try:
        return int(await connection.fetchval(TERMINATE))
    finally:
        await connection.close()


@asynccontextmanager
async def _api_with_small_pool(
    settings: Settings, *, overflow: int
) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    """An application of its own with a pool of four (the server is shared with the
    rest of the suite), and a client to it."""
    api = create_app(
        settings.model_copy(update={"database_pool_size": 4, "database_max_overflow": overflow}),
        run_jobs=False,
    )
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    try:
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver/api/v1"
        ) as http:
            yield api, http
    finally:
        await api.state.store.close()
        await api.state.engine.dispose()


async def _burst(
    http: httpx.AsyncClient, calls: list[tuple[str, str, dict[str, Any]]], concurrency: int
) -> Counter[int]:
    statuses: Counter[int] = Counter()
    limiter = anyio.Semaphore(concurrency)

    async def one(method: str, path: str, kwargs: dict[str, Any]) -> None:
        async with limiter:
            response = await http.request(method, path, **kwargs)
            statuses[response.status_code] += 1

    async with anyio.create_task_group() as tg:
        for method, path, kwargs in calls:
            tg.start_soon(one, method, path, kwargs)
    return statuses


def _mixed_calls(
    students: list[Account], course: dict[str, Any], lessons: list[dict[str, Any]], count: int
) -> list[tuple[str, str, dict[str, Any]]]:
    calls: list[tuple[str, str, dict[str, Any]]] = []
    for index in range(count):
        student = students[index % len(students)]
        kind = index % 4
        if kind == 0:
            calls.append(("GET", f"/courses/{course['id']}", {}))
        elif kind == 1:
            calls.append(("GET", "/users/me", {"headers": student.headers}))
        elif kind == 2:
            calls.append(("GET", "/enrollments/my-courses", {"headers": student.headers}))
        else:
            calls.append(
                (
                    "PATCH",
                    "/users/me",
                    {
                        "headers": student.headers,
                        "json": {"full_name": f"S {uuid.uuid4().hex[:6]}"},
                    },
                )
            )
    del lessons
    return calls


async def test_the_pool_recovers_when_postgresql_drops_every_connection(
    settings: Settings, app: Any
) -> None:
    require("PostgreSQL", IS_POSTGRES, "this test terminates PostgreSQL backends")
    async with _api_with_small_pool(settings, overflow=4) as (api, http):
        instructor = await create_account(api, http, settings, "instructor")
        students = [await create_account(api, http, settings, "student") for _ in range(4)]
        course, lessons = await published_course(http, instructor, lessons=2)
        for student in students:
            enrolled = await http.post(
                "/enrollments", headers=student.headers, json={"course_id": course["id"]}
            )
            assert enrolled.status_code == 201

        killed: list[int] = []

        async def killer() -> None:
            for _ in range(3):
                await anyio.sleep(0.25)
                killed.append(await _terminate_all_backends())

        during: Counter[int] = Counter()

        async def load() -> None:
            during.update(await _burst(http, _mixed_calls(students, course, lessons, 400), 8))

        async with anyio.create_task_group() as tg:
            tg.start_soon(load)
            tg.start_soon(killer)

        assert sum(killed) > 0, "no connection was terminated"
        assert set(during) <= {200, 503}, during
        assert during[200] > 0

        await anyio.sleep(0.2)  # the event loop sees the last sockets close
        after = await _burst(http, _mixed_calls(students, course, lessons, 200), 8)
        assert after == Counter({200: 200}), after
        assert (await http.get("/ready")).status_code == 200
    FIGURES["killed"] = sum(killed)
    FIGURES["during"] = dict(during)


FIGURES: dict[str, Any] = {}


async def test_pooled_connections_the_server_closed_while_idle_are_replaced_unseen(
    settings: Settings, app: Any
) -> None:
    """A restart between two bursts: the idle pooled connections are dead when the next
    requests check them out. The pool must hand out live ones: every request answers
    200, none pays for a dead connection with a 503."""
    require("PostgreSQL", IS_POSTGRES, "this test terminates PostgreSQL backends")
    async with _api_with_small_pool(settings, overflow=0) as (api, http):
        student = await create_account(api, http, settings, "student")
        calls = [("GET", "/users/me", {"headers": student.headers})] * 40
        # Four connections opened at once, so that four are pooled whatever the burst's
        # timing (a fast burst on a busy machine may reuse three).
        opened = [await api.state.engine.connect() for _ in range(4)]
        for connection in opened:
            await connection.close()
        assert await _burst(http, calls, 4) == Counter({200: 40})  # four pooled
        assert api.state.engine.pool.checkedin() == 4
        assert await _terminate_all_backends() >= 4
        await anyio.sleep(0.5)  # the event loop sees the sockets close
        after = await _burst(http, calls, 4)
        assert after == Counter({200: 40}), after


@pytest.mark.parametrize("ping_after_idle", [0.0, 3600.0])
async def test_a_connection_dropped_unnoticed_is_pinged_after_idling(
    settings: Settings, app: Any, monkeypatch: pytest.MonkeyPatch, ping_after_idle: float
) -> None:
    """A load balancer or firewall that drops an idle connection leaves no trace on the
    client (played here by asyncpg not noticing the closed sockets): a connection idle
    longer than LMS_DATABASE_PING_AFTER_IDLE_SECONDS is pinged before use and replaced.
    Without the ping (a threshold the idle time stays under) a request pays with a 503."""
    require("PostgreSQL", IS_POSTGRES, "this test terminates PostgreSQL backends")
    tuned = settings.model_copy(update={"database_ping_after_idle_seconds": ping_after_idle})
    async with _api_with_small_pool(tuned, overflow=0) as (api, http):
        student = await create_account(api, http, settings, "student")
        calls = [("GET", "/users/me", {"headers": student.headers})] * 40
        assert await _burst(http, calls, 4) == Counter({200: 40})
        monkeypatch.setattr(asyncpg.Connection, "is_closed", lambda _self: False)
        assert await _terminate_all_backends() >= 4
        await anyio.sleep(0.2)
        after = await _burst(http, calls, 4)
        monkeypatch.undo()
    if ping_after_idle == 0:
        assert after == Counter({200: 40}), after
    else:
        assert after[503] >= 1 and set(after) <= {200, 503}, after


async def test_requests_while_postgresql_is_down_are_503_not_500(settings: Settings) -> None:
    """Between the drop and the restart the server refuses connections outright."""
    down = settings.model_copy(
        update={"database_url": f"postgresql+asyncpg://postgres@127.0.0.1:{free_port()}/lms"}
    )
    api = create_app(down, run_jobs=False)
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as http:
        for path in ("/courses", "/certificates/verify/CERT-1"):
            refused = await http.get(path)
            assert refused.status_code == 503, refused.text
            assert refused.headers["content-type"] == "application/problem+json"
            assert int(refused.headers["retry-after"]) >= 1
        ready = await http.get("/ready")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] != "ok"
    await api.state.engine.dispose()
