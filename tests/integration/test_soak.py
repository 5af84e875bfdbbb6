"""Soak: a real ``lms serve`` on PostgreSQL + Redis and a real ``lms worker`` on the
broker take a bounded mixed load over loopback (``LMS_SOAK_SECONDS``, 30 s by default,
never more than 60), students racing each other and themselves; then the database must
still add up:

- every enrollment's counters equal the rows they summarise (completed lessons, total
  lessons, time spent), its status and percentage agree with them;
- one enrollment per student and course;
- every completed enrollment has exactly one certificate and exactly one completion
  email (outbox row and the email itself);
- no outbox row is left pending or failed.

No request may answer 5xx."""

from __future__ import annotations

import email
import email.policy
import os
import random
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.celery_app import SWEEP_TASK
from lms.core.config import Settings
from tests.conftest import DATABASE_URL, IS_POSTGRES, REDIS_URL
from tests.factories.accounts import PASSWORD
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, broker_error, free_port, require

pytestmark = pytest.mark.integration

SOAK_SECONDS = min(60.0, float(os.environ.get("LMS_SOAK_SECONDS", "30")))
STUDENTS = 16
COURSES = 4
LESSONS = 3
FIGURES: dict[str, Any] = {}


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


def _serve(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen[bytes]:
    lms = str(Path(sys.executable).with_name("lms"))
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [lms, "serve", "--host", "127.0.0.1", "--port", str(port), "--no-migrate"],
            env={**os.environ, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.2)


class Load:
    """Students doing what students do, at random (seeded), as fast as the API lets."""

    def __init__(self, http: httpx.AsyncClient, courses: list[dict[str, Any]]) -> None:
        self.http = http
        self.courses = courses
        self.statuses: Counter[int] = Counter()
        self.errors: list[str] = []

    async def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        response = await self.http.request(method, path, **kwargs)
        self.statuses[response.status_code] += 1
        if response.status_code >= 500 and len(self.errors) < 20:
            self.errors.append(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response

    async def student(self, token: str, seed: int, deadline: float) -> None:
        rng = random.Random(seed)
        auth = {"Authorization": f"Bearer {token}"}
        enrolled: dict[str, str] = {}  # course id -> enrollment id
        while time.monotonic() < deadline:
            course = rng.choice(self.courses)
            roll = rng.random()
            if roll < 0.25:
                await self.call("GET", "/courses", params={"page_size": 10})
                await self.call("GET", f"/courses/{course['id']}")
                await self.call("GET", f"/courses/{course['id']}/lessons")
            elif roll < 0.35 or course["id"] not in enrolled:
                answer = await self.call(
                    "POST", "/enrollments", headers=auth, json={"course_id": course["id"]}
                )
                if answer.status_code == 201:
                    enrolled[course["id"]] = answer.json()["id"]
            elif roll < 0.55:
                lesson = rng.choice(course["lessons"])
                await self.call(
                    "PUT",
                    f"/enrollments/{enrolled[course['id']]}/lessons/{lesson}/progress",
                    headers=auth,
                    json={"time_spent_seconds": rng.randint(1, 120), "completion_percentage": 50},
                )
            elif roll < 0.75:
                # complete a lesson, sometimes twice at once (the race must count once)
                lesson = rng.choice(course["lessons"])
                path = f"/enrollments/{enrolled[course['id']]}/lessons/{lesson}/complete"
                async with anyio.create_task_group() as tg:
                    for _ in range(2 if rng.random() < 0.3 else 1):
                        tg.start_soon(lambda p=path: self.call("POST", p, headers=auth))
            elif roll < 0.85:
                started = await self.call(
                    "POST", f"/quizzes/{course['quiz']}/attempts", headers=auth
                )
                if started.status_code in (200, 201):
                    sheet = started.json()
                    answers = [
                        {"question_id": q["id"], "answer": rng.choice(["true", "false"])}
                        for q in sheet["questions"]
                    ]
                    await self.call(
                        "POST",
                        f"/attempts/{sheet['id']}/submit",
                        headers=auth,
                        json={"answers": answers},
                    )
            elif roll < 0.9:
                await self.call(
                    "POST",
                    f"/enrollments/{enrolled[course['id']]}/review",
                    headers=auth,
                    json={"rating": rng.randint(1, 5)},
                )
            else:
                await self.call("GET", "/enrollments/my-courses", headers=auth)
                await self.call("GET", "/certificates/my-certificates", headers=auth)


async def _register(http: httpx.AsyncClient) -> list[tuple[str, str]]:
    """Accounts (access token, email) for the instructors and the students, through the
    API."""
    tokens = []
    for index in range(STUDENTS + 2):
        registered = await http.post(
            "/auth/register",
            json={
                "email": f"soak-{index}-{uuid.uuid4().hex[:6]}@example.com",
                "password": PASSWORD,
                "full_name": f"Soak {index}",
            },
        )
        assert registered.status_code == 201, registered.text
        body = registered.json()
        tokens.append((body["access_token"], body["user"]["email"]))
    return tokens


async def _make_instructors(db: AsyncSession, emails: list[str]) -> None:
    await db.execute(
        text("UPDATE users SET role = 'instructor' WHERE email = ANY(:emails)"),
        {"emails": emails},
    )
    await db.commit()


async def _courses(http: httpx.AsyncClient, owners: list[str]) -> list[dict[str, Any]]:
    courses = []
    for index in range(COURSES):
        auth = {"Authorization": f"Bearer {owners[index % len(owners)]}"}
        course = await http.post("/courses", headers=auth, json={"title": f"Soak course {index}"})
        assert course.status_code == 201, course.text
        course_id = course.json()["id"]
        lessons = []
        for number in range(LESSONS):
            lesson = await http.post(
                f"/courses/{course_id}/lessons",
                headers=auth,
                json={"title": f"Lesson {number}", "lesson_type": "text", "content": "x"},
            )
            assert lesson.status_code == 201, lesson.text
            lessons.append(lesson.json()["id"])
        quiz = await http.post(
            f"/courses/{course_id}/quizzes", headers=auth, json={"title": "Check"}
        )
        quiz_id = quiz.json()["id"]
        for statement in ("The sky is blue", "Fire is cold"):
            added = await http.post(
                f"/quizzes/{quiz_id}/questions",
                headers=auth,
                json={
                    "question_text": statement,
                    "question_type": "true_false",
                    "correct_answer": "true" if "blue" in statement else "false",
                },
            )
            assert added.status_code == 201, added.text
        assert (
            await http.post(f"/courses/{course_id}/quizzes/{quiz_id}/publish", headers=auth)
        ).status_code == 200
        assert (await http.post(f"/courses/{course_id}/publish", headers=auth)).status_code == 200
        courses.append({"id": course_id, "lessons": lessons, "quiz": quiz_id})
    return courses


INVARIANTS = {
    "completed lessons counter": """
        SELECT e.id FROM enrollments e
        WHERE e.completed_lessons_count <> (
            SELECT count(*) FROM lesson_progress p
            WHERE p.enrollment_id = e.id AND p.status = 'completed')""",
    "total lessons counter": """
        SELECT e.id FROM enrollments e
        WHERE e.total_lessons_count <> (
            SELECT count(*) FROM lessons l WHERE l.course_id = e.course_id)""",
    "time spent counter": """
        SELECT e.id FROM enrollments e
        WHERE e.total_time_spent_seconds <> (
            SELECT coalesce(sum(p.time_spent_seconds), 0) FROM lesson_progress p
            WHERE p.enrollment_id = e.id)""",
    "status agrees with the counters": """
        SELECT e.id FROM enrollments e
        WHERE (e.status = 'completed') <> (e.completed_lessons_count = e.total_lessons_count)
           OR (e.status = 'completed' AND e.completed_at IS NULL)""",
    "percentage agrees with the counters": """
        SELECT e.id FROM enrollments e
        WHERE e.progress_percentage <> round(100.0 * e.completed_lessons_count
                                             / nullif(e.total_lessons_count, 0), 2)""",
    "one enrollment per student and course": """
        SELECT student_id FROM enrollments GROUP BY student_id, course_id HAVING count(*) > 1""",
    "one certificate per completed enrollment": """
        SELECT e.id FROM enrollments e
        WHERE e.status = 'completed' AND (
            (SELECT count(*) FROM certificates c WHERE c.enrollment_id = e.id) <> 1
            OR e.certificate_issued_at IS NULL)""",
    "no certificate without a completed enrollment": """
        SELECT c.id FROM certificates c JOIN enrollments e ON e.id = c.enrollment_id
        WHERE e.status <> 'completed'""",
    "one completion email per completed enrollment": """
        SELECT e.id FROM enrollments e
        WHERE e.status = 'completed' AND (
            SELECT count(*) FROM outbox_messages o
            WHERE o.task = 'email.send' AND o.payload->>'template' = 'course_completed'
              AND o.dedupe_key = 'course_completed:' || e.id::text AND o.status = 'done') <> 1""",
    "no outbox row stuck": """
        SELECT id FROM outbox_messages WHERE status <> 'done'""",
    "one open attempt per student and quiz": """
        SELECT student_id FROM quiz_attempts WHERE status = 'in_progress'
        GROUP BY student_id, quiz_id HAVING count(*) > 1""",
}


async def test_soak_then_the_database_adds_up(
    settings: Settings, db: AsyncSession, queue: str, tmp_path: Path
) -> None:
    require("PostgreSQL and Redis", IS_POSTGRES and REDIS_URL is not None)
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    mail_dir = tmp_path / "mail"
    env = {
        "LMS_DATABASE_URL": DATABASE_URL,
        "LMS_REDIS_URL": str(REDIS_URL),
        "LMS_CELERY_BROKER_URL": BROKER_URL,
        "LMS_CELERY_QUEUE": queue,
        "LMS_EMAIL_BACKEND": "file",
        "LMS_EMAIL_FILE_DIR": str(mail_dir),
        "LMS_UPLOAD_DIR": str(tmp_path / "uploads"),
        # a modest pool: the database server is shared with the rest of the suite
        "LMS_DATABASE_POOL_SIZE": "6",
        "LMS_DATABASE_MAX_OVERFLOW": "4",
    }
    port = free_port()
    server = _serve(port, env, tmp_path / "server.log")
    worker = workers.start_worker(queue, tmp_path / "worker.log", env=env)
    try:
        async with httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{port}/api/v1", timeout=30
        ) as http:

            async def up() -> bool:
                try:
                    return (await http.get("/health")).status_code == 200
                except httpx.TransportError:
                    return False

            await wait_for(up, 30)
            accounts = await _register(http)
            # two of them teach (made instructors before they use the API at all), and
            # sign in again to get tokens for the new role
            teachers = [email for _, email in accounts[:2]]
            await _make_instructors(db, teachers)
            owners = []
            for address in teachers:
                login = await http.post(
                    "/auth/login", json={"email": address, "password": PASSWORD}
                )
                owners.append(login.json()["access_token"])
            tokens = [token for token, _ in accounts]
            courses = await _courses(http, owners)

            load = Load(http, courses)
            started = time.monotonic()
            deadline = started + SOAK_SECONDS
            async with anyio.create_task_group() as tg:
                for index, token in enumerate(tokens[2:]):
                    tg.start_soon(load.student, token, index, deadline)
            elapsed = time.monotonic() - started
            assert not load.errors, load.errors
            assert all(status < 500 for status in load.statuses), load.statuses

        # a sweep for anything whose dispatch was missed, then everything is delivered
        await anyio.to_thread.run_sync(workers.send_task, settings, queue, SWEEP_TASK)

        async def drained() -> bool:
            pending = await db.scalar(
                text("SELECT count(*) FROM outbox_messages WHERE status = 'pending'")
            )
            await db.commit()
            return pending == 0

        await wait_for(drained, 90)
    finally:
        await anyio.to_thread.run_sync(workers.stop, worker)
        server.terminate()
        server.wait(timeout=30)

    broken = {}
    for name, query in INVARIANTS.items():
        rows = (await db.execute(text(query))).all()
        if rows:
            broken[name] = [str(row[0]) for row in rows[:5]]
    await db.commit()
    assert not broken, broken

    completed = int(
        await db.scalar(text("SELECT count(*) FROM enrollments WHERE status = 'completed'")) or 0
    )
    emails = [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        for path in mail_dir.glob("*.eml")
    ]
    completion_emails = Counter(
        (m["To"], m["Subject"]) for m in emails if m["Subject"].startswith("You completed")
    )
    completions = (
        await db.execute(
            text(
                "SELECT u.email, 'You completed ' || c.title FROM enrollments e "
                "JOIN users u ON u.id = e.student_id JOIN courses c ON c.id = e.course_id "
                "WHERE e.status = 'completed'"
            )
        )
    ).all()
    requests = sum(load.statuses.values())
    FIGURES.update(
        seconds=round(elapsed, 1),
        requests=requests,
        per_second=round(requests / elapsed),
        statuses=dict(sorted(load.statuses.items())),
        enrollments=int(await db.scalar(text("SELECT count(*) FROM enrollments")) or 0),
        completed=completed,
        certificates=int(await db.scalar(text("SELECT count(*) FROM certificates")) or 0),
        emails=len(emails),
    )
    await db.commit()
    assert completed > 0, FIGURES
    # exactly one completion email reached each student for each course completed
    assert completion_emails == Counter((row[0], row[1]) for row in completions), FIGURES
    assert FIGURES["certificates"] == completed
