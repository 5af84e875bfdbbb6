"""The SQL each hot path of the load benchmark runs, counted.

Every scenario is measured twice, on a small and on a larger data set (more courses in
the catalogue and on the student's list, more lessons and questions), and must run the
same number of statements on both (a query per item is a regression) and no more than
its budget. BEGIN, SAVEPOINT and RELEASE are not counted: SQLite needs them where
PostgreSQL does not."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll
from tests.factories.quizzes import make_classroom, right_answers, standard_questions
from tests.performance.counting import Statements, counting_statements

PROGRESS = {"time_spent_seconds": 30, "last_position_seconds": 120, "completion_percentage": 50}

# Statements per request, with the account state and the public pages already cached
# (as they are on a server that has run for a minute).
BUDGETS = {
    "catalogue": 0,
    "course_detail": 0,
    "course_lessons": 0,
    "my_courses": 1,
    "lesson_content": 1,
    "progress_update": 3,
    "lesson_complete": 2,
    "lesson_complete_last": 10,
    # A quiz's content comes from its cached version (lms.modules.quizzes.service.versions):
    # this first start of the quiz in the process reads it; later ones run 2 statements.
    "quiz_start": 3,
    "quiz_save": 2,
    "quiz_submit": 5,
    "login": 3,
}


def data_statements(statements: Statements) -> int:
    control = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")
    return sum(1 for s in statements.executed if not s.lstrip().upper().startswith(control))


@dataclass
class Room:
    course_id: str
    enrollment_id: str
    lessons: list[str]
    quiz_id: str
    questions: list[dict[str, Any]]
    courses: int


async def build(
    client: httpx.AsyncClient, instructor: Account, student: Account, *, size: int
) -> Room:
    """A published course of ``size + 2`` lessons (the first a quiz lesson) with a quiz of
    ``size`` questions, the student enrolled; ``size`` more enrolled courses beside it."""
    questions = (standard_questions() * size)[: max(size, 1)]
    room = await make_classroom(client, instructor, None, questions=questions)
    lessons = [room.lesson_id, room.other_lesson_id]
    for _ in range(size):
        lessons.append((await add_lesson(client, instructor, room.course_id))["id"])
    enrollment = await enroll(client, student, room.course_id)
    for _ in range(size):
        other = await create_course(client, instructor)
        await add_lesson(client, instructor, other["id"])
        await publish_course(client, instructor, other["id"])
        await enroll(client, student, other["id"])
    return Room(room.course_id, enrollment["id"], lessons, room.quiz_id, room.questions, size + 1)


async def measure(
    app: Any, client: httpx.AsyncClient, student: Account, room: Room
) -> dict[str, int]:
    counts: dict[str, int] = {}
    headers = student.headers

    async def call(name: str, method: str, url: str, *, ok: int = 200, **kwargs: Any) -> Any:
        with counting_statements(app) as statements:
            response = await client.request(method, url, **kwargs)
        assert response.status_code == ok, (name, response.text)
        counts[name] = data_statements(statements)
        return response.json()

    # Warm what a running server has warm: the account state, the public pages.
    for url in (
        "/courses?page=1&page_size=20",
        f"/courses/{room.course_id}",
        f"/courses/{room.course_id}/lessons?page=1&page_size=20",
    ):
        assert (await client.get(url)).status_code == 200
    assert (await client.get("/users/me", headers=headers)).status_code == 200

    await call("catalogue", "GET", "/courses?page=1&page_size=20")
    await call("course_detail", "GET", f"/courses/{room.course_id}")
    await call("course_lessons", "GET", f"/courses/{room.course_id}/lessons?page=1&page_size=20")
    mine = await call(
        "my_courses", "GET", "/enrollments/my-courses?page=1&page_size=20", headers=headers
    )
    assert len(mine["items"]) == room.courses
    lesson = room.lessons[1]
    await call("lesson_content", "GET", f"/lessons/{lesson}", headers=headers)
    base = f"/enrollments/{room.enrollment_id}/lessons"
    await call(
        "progress_update", "PUT", f"{base}/{lesson}/progress", headers=headers, json=PROGRESS
    )
    sheet = await call(
        "quiz_start", "POST", f"/quizzes/{room.quiz_id}/attempts", ok=201, headers=headers
    )
    await call(
        "quiz_save",
        "PUT",
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/answers",
        headers=headers,
        json={"answers": right_answers(room)[:1]},
    )
    submitted = await call(
        "quiz_submit",
        "POST",
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/submit",
        headers=headers,
        json={"answers": right_answers(room)},
    )
    assert submitted["is_passed"] is True  # which completes the quiz lesson
    for lesson in room.lessons[1:-1]:
        await call("lesson_complete", "POST", f"{base}/{lesson}/complete", headers=headers)
    await call(
        "lesson_complete_last", "POST", f"{base}/{room.lessons[-1]}/complete", headers=headers
    )
    enrollment = (await client.get(f"/enrollments/{room.enrollment_id}", headers=headers)).json()
    assert enrollment["status"] == "completed"
    await call(
        "login", "POST", "/auth/login", json={"email": student.email, "password": student.password}
    )
    return counts


@pytest.mark.parametrize("size", [1, 5])
async def test_hot_paths_stay_within_their_statement_budget(
    app: Any,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    size: int,
) -> None:
    instructor = await make_account("instructor")
    student = await make_account("student")
    counts = await measure(
        app, client, student, await build(client, instructor, student, size=size)
    )
    over = {
        name: (counts[name], budget) for name, budget in BUDGETS.items() if counts[name] > budget
    }
    assert not over, f"statements (ran, budget): {over}; all: {counts}"


async def test_no_statement_count_grows_with_the_data(
    app: Any, client: httpx.AsyncClient, make_account: AccountFactory
) -> None:
    instructor = await make_account("instructor")
    small_student = await make_account("student")
    large_student = await make_account("student")
    small = await measure(
        app, client, small_student, await build(client, instructor, small_student, size=1)
    )
    large = await measure(
        app, client, large_student, await build(client, instructor, large_student, size=6)
    )
    assert small == large
