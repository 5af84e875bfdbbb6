"""Arranging courses, lessons, enrollments and quizzes through the HTTP API."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import httpx

from tests.conftest import Account


async def create_course(client: httpx.AsyncClient, owner: Account, **fields: Any) -> dict[str, Any]:
    body = {"title": f"Course {uuid.uuid4().hex[:8]}", "description": "A course", **fields}
    response = await client.post("/courses", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_lesson(
    client: httpx.AsyncClient, owner: Account, course_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"title": f"Lesson {uuid.uuid4().hex[:8]}", "lesson_type": "text", **fields}
    response = await client.post(f"/courses/{course_id}/lessons", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def publish_course(client: httpx.AsyncClient, owner: Account, course_id: str) -> None:
    response = await client.post(f"/courses/{course_id}/publish", headers=owner.headers)
    assert response.status_code == 200, response.text


async def enroll(client: httpx.AsyncClient, student: Account, course_id: str) -> dict[str, Any]:
    response = await client.post(
        "/enrollments", headers=student.headers, json={"course_id": course_id}
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def get_enrollment(
    client: httpx.AsyncClient, student: Account, enrollment_id: str
) -> dict[str, Any]:
    response = await client.get(f"/enrollments/{enrollment_id}", headers=student.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def create_quiz(
    client: httpx.AsyncClient, owner: Account, course_id: str, **fields: Any
) -> dict[str, Any]:
    body = {"title": f"Quiz {uuid.uuid4().hex[:8]}", **fields}
    response = await client.post(f"/courses/{course_id}/quizzes", headers=owner.headers, json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def add_question(
    client: httpx.AsyncClient, owner: Account, quiz_id: str, **fields: Any
) -> dict[str, Any]:
    response = await client.post(
        f"/quizzes/{quiz_id}/questions", headers=owner.headers, json=fields
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def publish_quiz(
    client: httpx.AsyncClient, owner: Account, course_id: str, quiz_id: str
) -> dict[str, Any]:
    response = await client.post(
        f"/courses/{course_id}/quizzes/{quiz_id}/publish", headers=owner.headers
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


# Distinctive strings, so a leak is found by searching the raw response text.
CAPITAL = "Cairo-capital-7f3a"
WRONG_CITY = "Alexandria-2b9c"
OTHER_CITY = "Giza-5d1e"
ACCEPTED = "Nile-river-4c2d"
EXPLANATION = "explanation-secret-9e8f"

SECRETS = (ACCEPTED, EXPLANATION)


def standard_questions() -> list[dict[str, Any]]:
    """One question of each kind: 1 + 1 + 2 + 3 points."""
    return [
        {
            "question_text": "The capital of Egypt?",
            "question_type": "multiple_choice",
            "options": [WRONG_CITY, CAPITAL, OTHER_CITY],
            "correct_answer": CAPITAL,
            "points": "1",
            "explanation": EXPLANATION,
        },
        {
            "question_text": "The Nile flows north.",
            "question_type": "true_false",
            "correct_answer": "true",
            "points": 1,
            "explanation": EXPLANATION,
        },
        {
            "question_text": "The longest river in Africa?",
            "question_type": "short_answer",
            "correct_answer": f"{ACCEPTED}|the nile",
            "points": 2,
            "explanation": EXPLANATION,
        },
    ]


ESSAY = {
    "question_text": "Why do rivers meander?",
    "question_type": "essay",
    "points": 3,
    "explanation": EXPLANATION,
}


@dataclass
class Classroom:
    """A published course with a quiz lesson, an instructor and an enrolled student."""

    course_id: str
    lesson_id: str
    other_lesson_id: str
    enrollment_id: str
    quiz_id: str = ""
    questions: list[dict[str, Any]] = field(default_factory=list)

    def by_type(self, question_type: str) -> dict[str, Any]:
        return next(q for q in self.questions if q["question_type"] == question_type)


async def make_classroom(
    client: httpx.AsyncClient,
    instructor: Account,
    student: Account | None,
    *,
    questions: list[dict[str, Any]] | None = None,
    publish: bool = True,
    **quiz_fields: Any,
) -> Classroom:
    course = await create_course(client, instructor)
    lesson = await add_lesson(client, instructor, course["id"], lesson_type="quiz")
    other = await add_lesson(client, instructor, course["id"], lesson_type="text")
    await publish_course(client, instructor, course["id"])
    enrollment_id = ""
    if student is not None:
        enrollment_id = (await enroll(client, student, course["id"]))["id"]
    room = Classroom(course["id"], lesson["id"], other["id"], enrollment_id)
    if questions is None:
        questions = standard_questions()
    quiz_fields.setdefault("lesson_id", room.lesson_id)
    quiz = await create_quiz(client, instructor, room.course_id, **quiz_fields)
    room.quiz_id = quiz["id"]
    for question in questions:
        room.questions.append(await add_question(client, instructor, room.quiz_id, **question))
    if publish and questions:
        await publish_quiz(client, instructor, room.course_id, room.quiz_id)
    return room


def right_answers(room: Classroom) -> list[dict[str, Any]]:
    answers = []
    for question in room.questions:
        value: Any = {
            "multiple_choice": CAPITAL,
            "true_false": True,
            "short_answer": "  THE   Nile ",
            "essay": "Because of erosion on the outer bank.",
        }[question["question_type"]]
        answers.append({"question_id": question["id"], "answer": value})
    return answers


def assert_no_answer_leak(response: httpx.Response) -> None:
    """Nothing in a student-facing response tells which answer is right."""
    raw = response.text
    for secret in SECRETS:
        assert secret not in raw, f"{secret} leaked in {response.request.url}"

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                assert key not in {"correct_answer", "explanation", "is_correct"} or item is None, (
                    f"{key} leaked in {response.request.url}: {json.dumps(value)[:200]}"
                )
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    if raw:
        walk(response.json())
