"""A school's students share one public address: signed-in traffic is limited per
account, so 2,000 students behind that address all take the quiz."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from lms.core.security import create_access_token, hash_password
from lms.core.session import commit
from lms.modules.users.models import User
from tests.factories.accounts import Account
from tests.factories.quizzes import make_classroom, right_answers

STUDENTS = 2000


async def _students(app: Any, settings: Settings, count: int) -> list[dict[str, str]]:
    """``count`` student accounts written at once (one password hash for all), each with
    an access token as signing in would give."""

    password_hash = await hash_password("a-long-enough-password", settings.bcrypt_rounds)
    users = [
        User(
            id=uuid.uuid4(),
            email=f"pupil-{index}-{uuid.uuid4().hex[:6]}@school.example",
            password_hash=password_hash,
            full_name=f"Pupil {index}",
            role="student",
            is_active=True,
        )
        for index in range(count)
    ]
    async with app.state.sessionmaker() as session:
        session.add_all(users)
        await commit(session)
    return [
        {
            "Authorization": "Bearer "
            + create_access_token(settings, user_id=user.id, role="student")[0]
        }
        for user in users
    ]


async def test_two_thousand_students_behind_one_address_take_a_quiz(
    app: Any,
    client: httpx.AsyncClient,
    instructor: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The production budgets (the test settings raise them out of the way).
    monkeypatch.setattr(settings, "attempt_rate_limit_per_minute", 60)
    monkeypatch.setattr(settings, "enrollment_rate_limit_per_minute", 30)
    room = await make_classroom(client, instructor, None)
    answers = right_answers(room)
    students = await _students(app, settings, STUDENTS)
    per_minute = settings.attempt_rate_limit_per_minute  # per account

    submitted = 0
    for headers in students:  # every request from the test client's one address
        enrolled = await client.post(
            "/enrollments", headers=headers, json={"course_id": room.course_id}
        )
        assert enrolled.status_code == 201, enrolled.text
        started = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=headers)
        assert started.status_code == 201, started.text
        assert started.headers["ratelimit"].startswith(f'"attempts";r={per_minute - 1};')
        done = await client.post(
            f"/attempts/{started.json()['id']}/submit",
            headers=headers,
            json={"answers": answers},
        )
        assert done.status_code == 200, done.text
        submitted += 1
    assert submitted == STUDENTS
    attempts = await client.get(
        f"/quizzes/{room.quiz_id}/attempts",
        headers=instructor.headers,
        params={"page_size": 1},
    )
    assert attempts.json()["total"] == STUDENTS
