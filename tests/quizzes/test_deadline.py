"""The time limit, on a clock the tests move (``lms.modules.quizzes.service.now``)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from lms.core import jobs
from lms.core.db import utcnow
from lms.modules.quizzes import service
from lms.modules.quizzes.models import QuizAttempt
from tests.factories.accounts import Account
from tests.factories.enrollments import get_enrollment
from tests.factories.quizzes import (
    CAPITAL,
    make_classroom,
    right_answers,
    start_attempt,
    submit_attempt,
)


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return utcnow() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(service, "now", fake)
    return fake


async def _timed_room(
    client: httpx.AsyncClient, instructor: Account, student: Account, **quiz: Any
) -> Any:
    quiz.setdefault("time_limit_minutes", 10)
    return await make_classroom(client, instructor, student, **quiz)


async def test_starting_fixes_the_deadline(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    room = await _timed_room(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    started = datetime.fromisoformat(sheet["started_at"])
    assert datetime.fromisoformat(sheet["deadline_at"]) - started == timedelta(minutes=10)
    assert 599 <= sheet["time_remaining_seconds"] <= 600
    clock.advance(minutes=4)
    resumed = await client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=student.headers)
    assert resumed.json()["id"] == sheet["id"]
    assert 359 <= resumed.json()["time_remaining_seconds"] <= 360
    # Changing the quiz's limit does not move a running attempt's deadline.
    await client.patch(
        f"/quizzes/{room.quiz_id}", headers=instructor.headers, json={"time_limit_minutes": 60}
    )
    again = await client.get(f"/attempts/{sheet['id']}", headers=student.headers)
    assert again.json()["deadline_at"] == sheet["deadline_at"]


async def test_a_submission_within_the_grace_is_accepted(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    room = await _timed_room(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    clock.advance(minutes=10, seconds=25)
    result = await submit_attempt(client, student, room.quiz_id, sheet["id"], right_answers(room))
    assert result.status_code == 200, result.text
    assert result.json()["score"] == "4.00" and result.json()["closed_at_deadline"] is False
    assert 624 <= result.json()["time_taken_seconds"] <= 626


async def test_a_late_submission_is_refused_and_graded_at_the_deadline(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    room = await _timed_room(client, instructor, student, passing_score=20)
    sheet = await start_attempt(client, student, room.quiz_id)
    mc = room.by_type("multiple_choice")["id"]
    clock.advance(minutes=5)
    saved = await client.put(
        f"/attempts/{sheet['id']}/answers",
        headers=student.headers,
        json={"answers": [{"question_id": mc, "answer": CAPITAL}]},
    )
    assert saved.status_code == 200
    clock.advance(minutes=5, seconds=31)
    late = await client.post(
        f"/attempts/{sheet['id']}/submit",
        headers=student.headers,
        json={"answers": right_answers(room)},
    )
    assert late.status_code == 409 and late.json()["code"] == "attempt_expired"
    closed = (await client.get(f"/attempts/{sheet['id']}", headers=student.headers)).json()
    assert closed["status"] == "graded" and closed["closed_at_deadline"] is True
    assert closed["submitted_at"] == sheet["deadline_at"] and closed["time_taken_seconds"] == 600
    # Only the answer saved in time counts: 1 of 4 points.
    assert closed["score"] == "1.00" and closed["percentage"] == "25.00"
    assert closed["is_passed"] is True
    assert (await get_enrollment(client, student, room.enrollment_id))[
        "completed_lessons_count"
    ] == 1
    again = await client.post(
        f"/attempts/{sheet['id']}/submit", headers=student.headers, json={"answers": []}
    )
    assert again.status_code == 409 and again.json()["code"] == "attempt_already_submitted"


async def test_saving_after_the_deadline_is_refused(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    room = await _timed_room(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    clock.advance(minutes=11)
    late = await client.put(
        f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/answers",
        headers=student.headers,
        json={"answers": right_answers(room)},
    )
    assert late.status_code == 409 and late.json()["code"] == "attempt_expired"
    closed = (await client.get(f"/attempts/{sheet['id']}", headers=student.headers)).json()
    assert closed["status"] == "graded" and closed["score"] == "0.00"


async def test_an_expired_attempt_is_closed_when_read_or_restarted(
    client: httpx.AsyncClient, instructor: Account, student: Account, clock: Clock
) -> None:
    room = await _timed_room(client, instructor, student, max_attempts=2)
    first = await start_attempt(client, student, room.quiz_id)
    clock.advance(minutes=20)
    listed = await client.get(
        f"/quizzes/{room.quiz_id}/attempts/my-attempts", headers=student.headers
    )
    assert listed.json()["items"][0]["status"] == "graded"
    second = await client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=student.headers)
    assert second.status_code == 200
    assert second.json()["id"] != first["id"] and second.json()["attempt_number"] == 2
    clock.advance(minutes=20)
    # The expired second attempt is closed even though no third may start.
    refused = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "max_attempts_reached"
    closed = await client.get(f"/attempts/{second.json()['id']}", headers=instructor.headers)
    assert closed.json()["status"] == "graded" and closed.json()["closed_at_deadline"] is True


async def test_the_sweep_closes_forgotten_attempts(
    client: httpx.AsyncClient,
    app: Any,
    instructor: Account,
    student: Account,
    clock: Clock,
    drain: Callable[[], Any],
) -> None:
    room = await _timed_room(client, instructor, student)
    sheet = await start_attempt(client, student, room.quiz_id)
    await client.put(
        f"/attempts/{sheet['id']}/answers",
        headers=student.headers,
        json={"answers": right_answers(room)},
    )
    attempt_id = uuid.UUID(sheet["id"])

    async def status_in_db() -> str:
        async with app.state.sessionmaker() as session:
            attempt = await session.get(QuizAttempt, attempt_id)
            assert attempt is not None
            return attempt.status

    clock.advance(minutes=10, seconds=10)
    await jobs.run_periodic(app.state.sessionmaker, "quizzes.close_expired_attempts")
    assert await status_in_db() == "in_progress"  # within the grace
    clock.advance(minutes=1)
    await jobs.run_periodic(app.state.sessionmaker, "quizzes.close_expired_attempts")
    assert await status_in_db() == "graded"
    await drain()
    closed = await client.get(f"/quizzes/{room.quiz_id}/attempts", headers=instructor.headers)
    item = closed.json()["items"][0]
    assert item["status"] == "graded" and item["score"] == "4.00" and item["closed_at_deadline"]
    assert (await get_enrollment(client, student, room.enrollment_id))[
        "completed_lessons_count"
    ] == 1


async def test_a_refusal_after_closing_an_expired_attempt_keeps_the_closure(
    client: httpx.AsyncClient,
    app: Any,
    instructor: Account,
    student: Account,
    clock: Clock,
) -> None:
    """The refused request itself commits the closure: the database has the attempt
    graded before anyone reads it again (a read would close it too)."""
    room = await _timed_room(client, instructor, student, max_attempts=2)

    async def status_in_db(attempt_id: str) -> str:
        async with app.state.sessionmaker() as session:
            attempt = await session.get(QuizAttempt, uuid.UUID(attempt_id))
            assert attempt is not None
            return attempt.status

    first = (await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)).json()
    clock.advance(minutes=11)
    late = await client.post(
        f"/attempts/{first['id']}/submit", headers=student.headers, json={"answers": []}
    )
    assert late.status_code == 409 and late.json()["code"] == "attempt_expired"
    assert await status_in_db(first["id"]) == "graded"

    second = (
        await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    ).json()
    assert second["attempt_number"] == 2
    clock.advance(minutes=11)
    refused = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    assert refused.status_code == 409 and refused.json()["code"] == "max_attempts_reached"
    assert await status_in_db(second["id"]) == "graded"
