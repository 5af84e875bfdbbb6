"""Several processes at once, as production runs: two API processes (``lms serve``)
and a worker (``lms worker``) on the same PostgreSQL, Redis and RabbitMQ. A logout on
one API is refused on the other, a course changed through one is not served stale by
the other, the rate limits are shared, each job runs once, and a retry with an
Idempotency-Key replays on the other process."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import text

from lms.core.config import Settings
from tests.conftest import DATABASE_URL, IS_POSTGRES, REDIS_URL
from tests.factories.accounts import Account
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, broker_error, free_port, require

pytestmark = pytest.mark.integration

AUTH_BUDGET = 12  # per client address and auth endpoint, per minute


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


def _environment(settings: Settings, queue: str, mail_dir: Path) -> dict[str, str]:
    environment = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(workers.ROOT / "src"), str(workers.ROOT)]),
        "LMS_ENVIRONMENT": "production",
        "LMS_SECRET_KEY": settings.secret_key,
        "LMS_DATABASE_URL": DATABASE_URL,
        "LMS_REDIS_URL": REDIS_URL or "",
        "LMS_CELERY_BROKER_URL": BROKER_URL,
        "LMS_CELERY_QUEUE": queue,
        "LMS_EMAIL_BACKEND": "file",
        "LMS_EMAIL_FILE_DIR": str(mail_dir),
        "LMS_AUTH_RATE_LIMIT_PER_MINUTE": str(AUTH_BUDGET),
        "LMS_BCRYPT_ROUNDS": "4",
        "LMS_LOG_LEVEL": "WARNING",
    }
    return environment


def _start_api(port: int, environment: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:
        return subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from lms.cli import app; app()",
                "serve",
                "--port",
                str(port),
                "--no-migrate",
            ],
            env=environment,
            cwd=workers.ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def _wait_until_up(base: str) -> None:
    with anyio.fail_after(120):
        while True:
            with contextlib.suppress(httpx.HTTPError):
                async with httpx.AsyncClient() as http:
                    if (await http.get(f"{base}/api/v1/health")).status_code == 200:
                        return
            await anyio.sleep(0.2)


async def test_two_api_processes_and_a_worker_share_one_state(
    app: Any,
    settings: Settings,
    instructor: Account,
    queue: str,
    tmp_path: Path,
) -> None:
    require("PostgreSQL and Redis", IS_POSTGRES and REDIS_URL is not None)
    # The worker delivers every due message: only this test's may be there.
    async with app.state.engine.begin() as connection:
        await connection.execute(text("DELETE FROM outbox_messages"))
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    mail_dir = tmp_path / "mail"
    mail_dir.mkdir()
    environment = _environment(settings, queue, mail_dir)
    log = tmp_path / "processes.log"
    ports = [free_port(), free_port()]
    processes: list[subprocess.Popen[bytes]] = [
        _start_api(port, environment, log) for port in ports
    ]
    worker_environment = {
        key: value for key, value in environment.items() if key != "LMS_ENVIRONMENT"
    }
    processes.append(workers.start_worker(queue, log, env=worker_environment))
    one, two = (f"http://127.0.0.1:{port}" for port in ports)
    try:
        await _wait_until_up(one)
        await _wait_until_up(two)
        async with httpx.AsyncClient(timeout=30) as http:
            await _check_everything(http, one, two, instructor, mail_dir)
    finally:
        for process in processes:
            await anyio.to_thread.run_sync(workers.stop, process)


async def _check_everything(
    http: httpx.AsyncClient, one: str, two: str, instructor: Account, mail_dir: Path
) -> None:
    api_one, api_two = f"{one}/api/v1", f"{two}/api/v1"

    # each job runs once: every registration's emails, whichever API sent them
    students: list[dict[str, Any]] = []
    for index in range(6):
        base = api_one if index % 2 == 0 else api_two
        registered = await http.post(
            f"{base}/auth/register",
            json={
                "email": f"pupil{index}@school.example",
                "password": "a-long-enough-password",
                "full_name": f"Pupil {index}",
            },
        )
        assert registered.status_code == 201, registered.text
        students.append(registered.json())

    # a logout on one is refused on the other
    token = students[0]["access_token"]
    me = {"Authorization": f"Bearer {token}"}
    assert (await http.get(f"{api_two}/users/me", headers=me)).status_code == 200
    logout = await http.post(
        f"{api_one}/auth/logout",
        headers=me,
        json={"refresh_token": students[0]["refresh_token"]},
    )
    assert logout.status_code == 204, logout.text
    refused = await http.get(f"{api_two}/users/me", headers=me)
    assert refused.status_code == 401

    # a course changed through one is not served stale by the other
    staff = instructor.headers
    course = (await http.post(f"{api_one}/courses", headers=staff, json={"title": "Tides"})).json()
    lesson = await http.post(
        f"{api_one}/courses/{course['id']}/lessons",
        headers=staff,
        json={"title": "One", "lesson_type": "text", "content": "x"},
    )
    assert lesson.status_code == 201
    assert (await http.post(f"{api_one}/courses/{course['id']}/publish", headers=staff)).is_success
    before = await http.get(f"{api_two}/courses/{course['id']}")  # kept by the public cache
    assert before.json()["title"] == "Tides"
    assert (await http.get(f"{api_two}/courses/{course['id']}")).json()["title"] == "Tides"
    renamed = await http.patch(
        f"{api_one}/courses/{course['id']}",
        headers={**staff, "If-Match": before.headers["etag"]},
        json={"title": "Tides and currents"},
    )
    assert renamed.status_code == 200, renamed.text
    after = await http.get(f"{api_two}/courses/{course['id']}")
    assert after.json()["title"] == "Tides and currents"
    stale = await http.patch(
        f"{api_two}/courses/{course['id']}",
        headers={**staff, "If-Match": before.headers["etag"]},
        json={"title": "Lost update"},
    )
    assert stale.status_code == 412

    # an Idempotency-Key taken on one is replayed by the other
    pupil = {"Authorization": f"Bearer {students[1]['access_token']}"}
    key = {"Idempotency-Key": "enroll-across-processes"}
    first = await http.post(
        f"{api_one}/enrollments", headers={**pupil, **key}, json={"course_id": course["id"]}
    )
    again = await http.post(
        f"{api_two}/enrollments", headers={**pupil, **key}, json={"course_id": course["id"]}
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]

    # the rate limits are shared: one budget for the address, whichever process counts
    statuses = []
    for index in range(AUTH_BUDGET + 2):
        base = api_one if index % 2 == 0 else api_two
        answer = await http.post(
            f"{base}/auth/forgot-password", json={"email": "nobody@school.example"}
        )
        statuses.append(answer.status_code)
    assert statuses.count(202) == AUTH_BUDGET and statuses[-1] == 429, statuses

    # every email sent exactly once: each registration's two (welcome, verification)
    # and the enrollment's confirmation
    expected_count = 2 * len(students) + 1
    with anyio.fail_after(180):
        while len(list(mail_dir.glob("*.eml"))) < expected_count:
            await anyio.sleep(0.2)
    await anyio.sleep(2)  # a job run twice would show up by now
    sent = sorted(
        (headers["to"], headers["subject"])
        for headers in (_headers(path) for path in mail_dir.glob("*.eml"))
    )
    assert len(sent) == len(set(sent)) == expected_count, sent
    assert sorted({to for to, _subject in sent}) == sorted(
        student["user"]["email"] for student in students
    )


def _headers(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text(errors="replace").splitlines():
        if not line:
            break
        name, _, value = line.partition(":")
        found.setdefault(name.strip().lower(), value.strip())
    return found
