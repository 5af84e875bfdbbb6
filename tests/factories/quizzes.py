"""Quizzes: authoring through the API, a ready classroom, attempts, and attempt rows."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

import httpx

from lms.core.db import utcnow
from lms.modules.quizzes.models import QuizAttempt
from tests.factories.api import Caller, ok
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll

# Distinctive strings, so a leak is found by searching the raw response text.
CAPITAL = "Cairo-capital-7f3a"
WRONG_CITY = "Alexandria-2b9c"
OTHER_CITY = "Giza-5d1e"
ACCEPTED = "Nile-river-4c2d"
EXPLANATION = "explanation-secret-9e8f"

SECRETS = (ACCEPTED, EXPLANATION)

ESSAY = {
    "question_text": "Why do rivers meander?",
    "question_type": "essay",
    "points": 3,
    "explanation": EXPLANATION,
}


def standard_questions() -> list[dict[str, Any]]:
    """One question of each automatically graded kind: 1 + 1 + 2 points."""
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


async def create_quiz(
    client: httpx.AsyncClient, owner: Caller, course_id: str, **fields: Any
) -> dict[str, Any]:
    """A draft quiz in the course with a title of its own; ``fields`` add to the body."""
    body = {"title": f"Quiz {uuid.uuid4().hex[:8]}", **fields}
    response = await client.post(f"/courses/{course_id}/quizzes", headers=owner.headers, json=body)
    return ok(response, 201)


async def add_question(
    client: httpx.AsyncClient, owner: Caller, quiz_id: str, **fields: Any
) -> dict[str, Any]:
    """A question of the quiz; ``fields`` are the whole body."""
    response = await client.post(
        f"/quizzes/{quiz_id}/questions", headers=owner.headers, json=fields
    )
    return ok(response, 201)


async def publish_quiz(
    client: httpx.AsyncClient, owner: Caller, course_id: str, quiz_id: str
) -> dict[str, Any]:
    """Publish the quiz; returns it as published."""
    response = await client.post(
        f"/courses/{course_id}/quizzes/{quiz_id}/publish", headers=owner.headers
    )
    return ok(response, 200)


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
        """The first question of that type."""
        return next(q for q in self.questions if q["question_type"] == question_type)


async def make_classroom(
    client: httpx.AsyncClient,
    instructor: Caller,
    student: Caller | None,
    *,
    questions: list[dict[str, Any]] | None = None,
    publish: bool = True,
    **quiz_fields: Any,
) -> Classroom:
    """A published course of a quiz lesson and a text lesson, ``student`` enrolled (when
    given), and a quiz on the quiz lesson with ``questions`` (the standard ones by
    default), published unless ``publish`` is false; ``quiz_fields`` add to the quiz."""
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


class HasQuestions(Protocol):
    """Anything that holds a quiz's questions as the API returned them."""

    questions: list[dict[str, Any]]


def right_answers(room: HasQuestions) -> list[dict[str, Any]]:
    """A right answer to every question of the standard kinds (and an essay)."""
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


async def start_attempt(client: httpx.AsyncClient, student: Caller, quiz_id: str) -> dict[str, Any]:
    """``student``'s new attempt at the quiz (its question sheet)."""
    response = await client.post(f"/quizzes/{quiz_id}/attempts", headers=student.headers)
    return ok(response, 201)


async def submit_attempt(
    client: httpx.AsyncClient, student: Caller, quiz_id: str, attempt_id: str, answers: Any
) -> httpx.Response:
    """The API's answer to ``student`` handing in the attempt with ``answers``."""
    return await client.post(
        f"/quizzes/{quiz_id}/attempts/{attempt_id}/submit",
        headers=student.headers,
        json={"answers": answers},
    )


def attempt_row(
    *,
    quiz_id: uuid.UUID,
    enrollment_id: uuid.UUID,
    student_id: uuid.UUID,
    attempt_number: int,
    status: str,
    percentage: str | None,
    submitted_at: datetime | None,
) -> QuizAttempt:
    """An attempt row out of 10 points, started five minutes before it was handed in (or
    before now, if it is still open), passed from 70 %. Graded attempts carry their
    ``percentage``; others have none."""
    started = (submitted_at or utcnow()) - timedelta(minutes=5)
    score = Decimal(percentage) if percentage is not None else None
    return QuizAttempt(
        quiz_id=quiz_id,
        enrollment_id=enrollment_id,
        student_id=student_id,
        attempt_number=attempt_number,
        status=status,
        started_at=started,
        submitted_at=submitted_at if status != "in_progress" else None,
        graded_at=submitted_at if status == "graded" else None,
        percentage=score,
        score=score / 10 if score is not None else None,
        max_score=Decimal("10"),
        is_passed=(score >= 70) if score is not None else None,
    )
