"""Concurrent requests: max_attempts, single submission and the deadline hold."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import func, select

from lms.core.db import utcnow
from lms.modules.quizzes import service
from lms.modules.quizzes.models import QuizAttempt
from tests.factories.accounts import Account
from tests.factories.quizzes import make_classroom, right_answers


async def _count_attempts(app: Any, quiz_id: str) -> int:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(QuizAttempt)
            .where(QuizAttempt.quiz_id == uuid.UUID(quiz_id))
        )
        return int(found or 0)


async def test_racing_starts_open_one_attempt(
    client: httpx.AsyncClient, app: Any, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, max_attempts=1)
    responses = await asyncio.gather(
        *(
            client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
            for _ in range(4)
        ),
        *(
            client.get(f"/quizzes/{room.quiz_id}/attempts/start", headers=student.headers)
            for _ in range(4)
        ),
    )
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert len({r.json()["id"] for r in responses}) == 1
    assert sum(r.status_code == 201 for r in responses) <= 1  # GET start answers 200
    assert await _count_attempts(app, room.quiz_id) == 1


async def test_racing_starts_cannot_exceed_max_attempts(
    client: httpx.AsyncClient, app: Any, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student, max_attempts=2)
    first = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    done = await client.post(
        f"/attempts/{first.json()['id']}/submit", headers=student.headers, json={"answers": []}
    )
    assert done.status_code == 200
    responses = await asyncio.gather(
        *(
            client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
            for _ in range(6)
        )
    )
    assert all(r.status_code in (200, 201) for r in responses), [r.text for r in responses]
    assert {r.json()["attempt_number"] for r in responses} == {2}
    assert await _count_attempts(app, room.quiz_id) == 2
    submitted = await client.post(
        f"/attempts/{responses[0].json()['id']}/submit",
        headers=student.headers,
        json={"answers": []},
    )
    assert submitted.status_code == 200
    more = await asyncio.gather(
        *(
            client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
            for _ in range(3)
        )
    )
    assert [r.status_code for r in more] == [409, 409, 409]
    assert await _count_attempts(app, room.quiz_id) == 2


async def test_racing_submissions_grade_once(
    client: httpx.AsyncClient, app: Any, instructor: Account, student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    sheet = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    attempt_id = sheet.json()["id"]
    wrong = [{"question_id": q["id"], "answer": None} for q in room.questions]
    responses = await asyncio.gather(
        client.post(
            f"/attempts/{attempt_id}/submit",
            headers=student.headers,
            json={"answers": right_answers(room)},
        ),
        client.post(
            f"/attempts/{attempt_id}/submit", headers=student.headers, json={"answers": wrong}
        ),
        client.post(
            f"/attempts/{attempt_id}/submit", headers=student.headers, json={"answers": wrong}
        ),
    )
    codes = sorted(r.status_code for r in responses)
    assert codes == [200, 409, 409], [r.text for r in responses]
    winner = next(r for r in responses if r.status_code == 200).json()
    stored = await client.get(f"/attempts/{attempt_id}", headers=student.headers)
    assert stored.json()["score"] == winner["score"]
    assert stored.json()["answers"] == winner["answers"]
    enrollment = await client.get(f"/enrollments/{room.enrollment_id}", headers=student.headers)
    assert enrollment.json()["completed_lessons_count"] == (1 if winner["is_passed"] else 0)


async def test_racing_late_submissions_close_the_attempt_once(
    client: httpx.AsyncClient, instructor: Account, student: Account, monkeypatch: Any
) -> None:
    room = await make_classroom(client, instructor, student, time_limit_minutes=5)
    sheet = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=student.headers)
    attempt_id = sheet.json()["id"]
    saved = await client.put(
        f"/attempts/{attempt_id}/answers",
        headers=student.headers,
        json={"answers": right_answers(room)},
    )
    assert saved.status_code == 200
    later = utcnow() + timedelta(minutes=6)
    monkeypatch.setattr(service, "now", lambda: later)
    body = {"answers": []}
    responses = await asyncio.gather(
        *(
            client.post(f"/attempts/{attempt_id}/submit", headers=student.headers, json=body)
            for _ in range(3)
        ),
        client.put(f"/attempts/{attempt_id}/answers", headers=student.headers, json=body),
    )
    assert all(r.status_code == 409 for r in responses), [r.text for r in responses]
    codes = {r.json()["code"] for r in responses}
    assert "attempt_expired" in codes and codes <= {"attempt_expired", "attempt_already_submitted"}
    closed = (await client.get(f"/attempts/{attempt_id}", headers=student.headers)).json()
    assert closed["status"] == "graded" and closed["closed_at_deadline"] is True
    assert closed["score"] == "4.00" and closed["submitted_at"] == closed["deadline_at"]
    enrollment = await client.get(f"/enrollments/{room.enrollment_id}", headers=student.headers)
    assert enrollment.json()["completed_lessons_count"] == 1
