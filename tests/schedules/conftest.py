"""A clock the schedule tests set (quizzes and schedules read it), and small helpers to
build a course with a quiz and an assignment lesson."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from lms.modules.quizzes import service as quizzes_service
from lms.modules.schedules.service import clock as schedules_clock
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll
from tests.factories.quizzes import add_question, create_quiz, publish_quiz


class Clock:
    """A time the test sets; it stands still unless moved."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(datetime.now(UTC).replace(microsecond=0))
    monkeypatch.setattr(quizzes_service, "now", fake)
    monkeypatch.setattr(schedules_clock, "now", fake)
    return fake


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


@dataclass
class Course:
    id: str
    title: str
    quiz_id: str
    quiz_title: str
    questions: list[dict[str, Any]]
    assignment_id: str
    assignment_title: str


async def scheduled_course(
    client: httpx.AsyncClient,
    instructor: Account,
    *students: Account,
    questions: int = 4,
    **quiz: Any,
) -> Course:
    """A published course with a published quiz of ``questions`` true/false questions (one
    point each) and an assignment lesson; ``students`` enrolled."""
    course = await create_course(client, instructor)
    lesson = await add_lesson(
        client, instructor, course["id"], title="Essay on rivers", lesson_type="assignment"
    )
    await publish_course(client, instructor, course["id"])
    made = await create_quiz(client, instructor, course["id"], title="River quiz", **quiz)
    added = [
        await add_question(
            client,
            instructor,
            made["id"],
            question_text=f"Statement {index}",
            question_type="true_false",
            correct_answer="true",
            points=1,
        )
        for index in range(questions)
    ]
    await publish_quiz(client, instructor, course["id"], made["id"])
    for student in students:
        await enroll(client, student, course["id"])
    return Course(
        id=course["id"],
        title=course["title"],
        quiz_id=made["id"],
        quiz_title=made["title"],
        questions=added,
        assignment_id=lesson["id"],
        assignment_title=lesson["title"],
    )


def answers(course: Course, right: int) -> list[dict[str, Any]]:
    """``right`` right answers, the rest wrong."""
    return [
        {"question_id": q["id"], "answer": index < right}
        for index, q in enumerate(course.questions)
    ]


async def set_quiz_schedule(
    client: httpx.AsyncClient, caller: Account, quiz_id: str, **body: Any
) -> dict[str, Any]:
    return ok(
        await client.put(f"/quizzes/{quiz_id}/schedule", headers=caller.headers, json=_json(body))
    )


async def set_lesson_schedule(
    client: httpx.AsyncClient, caller: Account, lesson_id: str, **body: Any
) -> dict[str, Any]:
    return ok(
        await client.put(f"/lessons/{lesson_id}/schedule", headers=caller.headers, json=_json(body))
    )


def _json(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, datetime) else v for k, v in body.items()}


async def set_time_zone(client: httpx.AsyncClient, person: Account, zone: str) -> None:
    ok(await client.patch("/users/me", headers=person.headers, json={"time_zone": zone}))
