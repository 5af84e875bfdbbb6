"""Redis goes down under a running API, then comes back.

A private ``redis-server`` on a free port is started for this test and killed in the
middle. While it is down: reads still work (the cache is bypassed), rate limits let
requests through (logged), but nothing that needs the token denylist answers — a
signed-in request is 503, fail-closed, because a logged-out token could otherwise be
replayed — and ``/ready`` says 503. When Redis is back everything works again without
restarting the API."""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
import redis

from lms.core.config import Settings
from lms.core.security import create_purpose_token
from lms.main import create_app
from tests.factories.accounts import PASSWORD, Account, create_account
from tests.factories.courses import published_course
from tests.integration.conftest import free_port, require

pytestmark = pytest.mark.integration


class PrivateRedis:
    """A throwaway redis-server (no persistence) that the test can kill and restart."""

    def __init__(self, directory: Path) -> None:
        self.port = free_port()
        self.directory = directory
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary is not None
        self.process = subprocess.Popen(
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=1)
        for _ in range(100):
            try:
                if client.ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise AssertionError("the private redis-server did not start")

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None


@pytest.fixture
def private_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    require("redis-server", shutil.which("redis-server") is not None, "not installed")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.kill()


@pytest.fixture
async def api(settings: Settings, private_redis: PrivateRedis) -> AsyncIterator[Any]:
    application = create_app(
        settings.model_copy(update={"redis_url": private_redis.url}), run_jobs=False
    )
    yield application
    await application.state.store.close()
    await application.state.engine.dispose()


async def test_redis_down_reads_work_auth_fails_closed_and_all_recovers(
    api: Any, private_redis: PrivateRedis, settings: Settings, app: Any
) -> None:
    transport = httpx.ASGITransport(app=api, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as http:
        instructor = await create_account(api, http, settings, "instructor")
        student: Account = await create_account(api, http, settings, "student")
        course, _ = await published_course(http, instructor, lessons=1)
        assert (await http.get("/courses")).status_code == 200  # cached now
        assert (await http.get("/ready")).status_code == 200

        private_redis.kill()

        # reads: the cache is bypassed, the database answers
        listed = await http.get("/courses")
        assert listed.status_code == 200 and listed.json()["total"] == 1
        assert (await http.get(f"/courses/{course['id']}")).status_code == 200
        assert (await http.get(f"/courses/{course['id']}/lessons")).status_code == 200
        # rate limited, anonymous endpoints: the limit degrades open
        assert (
            await http.post("/auth/forgot-password", json={"email": student.email})
        ).status_code == 202
        login = await http.post("/auth/login", json={"email": student.email, "password": PASSWORD})
        assert login.status_code == 200, login.text
        wrong = await http.post(
            "/auth/login", json={"email": student.email, "password": "nope-123"}
        )
        assert wrong.status_code == 401, wrong.text
        # anything signed in needs the denylist: fail closed, and say so
        for method, path in (
            ("GET", "/users/me"),
            ("GET", "/enrollments/my-courses"),
            ("POST", "/auth/logout"),
        ):
            refused = await http.request(method, path, headers=student.headers)
            assert refused.status_code == 503, (path, refused.text)
            assert refused.headers["content-type"] == "application/problem+json"
            assert refused.json()["code"] == "denylist_unavailable"
        # the one-time use of an MFA sign-in step cannot be checked: refused, not guessed
        mfa_token = create_purpose_token(
            settings, subject=str(student.id), purpose="mfa", minutes=5
        )
        second_factor = await http.post(
            "/auth/login/mfa", json={"mfa_token": mfa_token, "code": "123456"}
        )
        assert second_factor.status_code == 503, second_factor.text
        assert second_factor.json()["code"] == "store_unavailable"
        assert second_factor.headers["retry-after"] == "5"
        ready = await http.get("/ready")
        assert ready.status_code == 503
        assert ready.json()["checks"]["database"] == "ok"
        assert ready.json()["checks"]["redis"].startswith("error")

        private_redis.start()  # same port, empty

        for _ in range(50):
            if (await http.get("/ready")).status_code == 200:
                break
            await anyio.sleep(0.1)
        assert (await http.get("/ready")).status_code == 200
        me = await http.get("/users/me", headers=student.headers)
        assert me.status_code == 200
        enrolled = await http.post(
            "/enrollments", headers=student.headers, json={"course_id": course["id"]}
        )
        assert enrolled.status_code == 201
        out = await http.post("/auth/logout", headers=student.headers)
        assert out.status_code == 204
        assert (await http.get("/users/me", headers=student.headers)).status_code == 401
