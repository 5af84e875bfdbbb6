"""The quiz-taking path as exam day runs it: a quiz's content read from its cached
version (and never stale after an edit), starts and saves that commit each statement
on their own, concurrent saves that all keep their answers, and a start that needs a
transaction counted once against the rate limit."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from lms.core.config import Settings
from tests.conftest import IS_POSTGRES
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.enrollments import enroll
from tests.factories.quizzes import add_question, make_classroom, right_answers, start_attempt


def _multiple_choice(number: int) -> dict[str, Any]:
    return {
        "question_text": f"Question {number}?",
        "question_type": "multiple_choice",
        "options": [f"right {number}", f"wrong {number}"],
        "correct_answer": f"right {number}",
        "points": 1,
    }


async def test_an_edited_quiz_is_never_served_from_its_old_version(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    room = await make_classroom(client, instructor, student, time_limit_minutes=10)
    first = await start_attempt(client, student, room.quiz_id)  # the version is cached now
    assert first["quiz"]["time_limit_minutes"] == 10
    assert len(first["questions"]) == 3

    # The author changes the settings, rewords a question and adds one.
    changed = await client.patch(
        f"/quizzes/{room.quiz_id}", headers=instructor.headers, json={"time_limit_minutes": 45}
    )
    assert changed.status_code == 200
    question = room.questions[0]
    reworded = await client.patch(
        f"/quizzes/{room.quiz_id}/questions/{question['id']}",
        headers=instructor.headers,
        json={"question_text": "Which city is the capital of Egypt?"},
    )
    assert reworded.status_code == 200, reworded.text
    await add_question(client, instructor, room.quiz_id, **_multiple_choice(4))

    await enroll(client, other_student, room.course_id)
    second = await start_attempt(client, other_student, room.quiz_id)
    assert second["quiz"]["time_limit_minutes"] == 45
    assert second["quiz"]["question_count"] == 4
    texts = {q["id"]: q["question_text"] for q in second["questions"]}
    assert texts[question["id"]] == "Which city is the capital of Egypt?"

    # The first student's attempt keeps its three questions and its deadline.
    saved = await client.put(
        f"/quizzes/{room.quiz_id}/attempts/{first['id']}/answers",
        headers=student.headers,
        json={"answers": right_answers(room)[:1]},
    )
    assert saved.status_code == 200, saved.text
    assert saved.json()["deadline_at"] == first["deadline_at"]


async def test_an_unpublished_quiz_cannot_be_started_from_its_cached_version(
    client: httpx.AsyncClient, instructor: Account, student: Account, other_student: Account
) -> None:
    room = await make_classroom(client, instructor, student)
    await start_attempt(client, student, room.quiz_id)
    withdrawn = await client.patch(
        f"/quizzes/{room.quiz_id}", headers=instructor.headers, json={"is_published": False}
    )
    assert withdrawn.status_code == 200
    await enroll(client, other_student, room.course_id)
    refused = await client.post(f"/quizzes/{room.quiz_id}/attempts", headers=other_student.headers)
    assert refused.status_code == 404


async def test_concurrent_saves_of_one_attempt_lose_no_answer(
    client: httpx.AsyncClient, instructor: Account, student: Account
) -> None:
    """On PostgreSQL every save succeeds (a save that lost a race runs again holding the
    row lock); on SQLite one may be told to retry (409 ``attempt_changed``). Either way
    every answer a 200 acknowledged is kept."""
    questions = [_multiple_choice(n) for n in range(8)]
    room = await make_classroom(client, instructor, student, questions=questions)
    sheet = await start_attempt(client, student, room.quiz_id)
    url = f"/quizzes/{room.quiz_id}/attempts/{sheet['id']}/answers"
    saves = await asyncio.gather(
        *(
            client.put(
                url,
                headers=student.headers,
                json={"answers": [{"question_id": q["id"], "answer": f"right {n}"}]},
            )
            for n, q in enumerate(room.questions)
        )
    )
    acknowledged = {}
    for n, (question, save) in enumerate(zip(room.questions, saves, strict=True)):
        if save.status_code == 200:
            acknowledged[question["id"]] = f"right {n}"
        else:
            assert not IS_POSTGRES, save.text
            assert (save.status_code, save.json()["code"]) == (409, "attempt_changed")
    assert acknowledged
    attempt = ok(await client.get(f"/attempts/{sheet['id']}", headers=student.headers), 200)
    assert {a["question_id"]: a["answer"] for a in attempt["answers"]} == acknowledged


async def test_a_resumed_start_counts_once_against_the_attempt_rate_limit(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    room = await make_classroom(client, instructor, student)
    monkeypatch.setattr(settings, "attempt_rate_limit_per_minute", 2)
    url = f"/quizzes/{room.quiz_id}/attempts"
    started = await client.post(url, headers=student.headers)
    assert started.status_code == 201
    # Resuming needs a transaction: the start runs again in one, and counts once.
    resumed = await client.post(url, headers=student.headers)
    assert resumed.status_code == 200
    assert resumed.json()["id"] == started.json()["id"]
    refused = await client.post(url, headers=student.headers)
    assert refused.status_code == 429
