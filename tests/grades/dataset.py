"""A small course for the gradebook, with hand-computed figures.

Three graded quizzes (Q1, Q2, Q3), a practice quiz (never counts) and two assignment
lessons (A1, A2), built through the API; the scores are written as rows.

Alice  Q1: 80.00 with a 25 % late penalty (stored as 60.00, as the schedule applies it),
           then 72.35 with 10 % (65.115 -> 65.12): the second counts (the best);
       Q2: 90.01; Q3: 40.00; practice: 100 (ignored);
       A1: 88.50; A2: 70.00 with 5 % (stored as 66.50).
Bob    Q1: 50.00; Q2 none; Q3 waiting for a grader (ignored);
       A1 handed in, not graded (ignored); A2: 100.00.
Carl   nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.assignments.models import AssignmentSubmission
from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import add_lesson, create_course, publish_course
from tests.factories.enrollments import enroll
from tests.factories.quizzes import add_question, attempt_row, create_quiz, publish_quiz


@dataclass
class Gradebook:
    course_id: str
    owner: Account
    alice: Account
    bob: Account
    carl: Account
    quizzes: dict[str, str] = field(default_factory=dict)
    assignments: dict[str, str] = field(default_factory=dict)
    enrollments: dict[str, str] = field(default_factory=dict)

    def item(self, name: str) -> str:
        return self.quizzes.get(name) or self.assignments[name]


async def _quiz(
    client: httpx.AsyncClient, owner: Account, course_id: str, title: str, kind: str
) -> str:
    quiz = await create_quiz(client, owner, course_id, title=title, quiz_type=kind)
    await add_question(
        client,
        owner,
        quiz["id"],
        question_text="2 + 2?",
        question_type="multiple_choice",
        options=["3", "4"],
        correct_answer="4",
    )
    await publish_quiz(client, owner, course_id, quiz["id"])
    return str(quiz["id"])


def _attempt(
    book: Gradebook, who: str, quiz: str, number: int, pct: str | None, **extra: Any
) -> Any:
    account: Account = getattr(book, who)
    row = attempt_row(
        quiz_id=uuid.UUID(book.quizzes[quiz]),
        enrollment_id=uuid.UUID(book.enrollments[who]),
        student_id=account.id,
        attempt_number=number,
        status="graded" if pct is not None else "submitted",
        percentage=pct,
        submitted_at=utcnow() - timedelta(days=1),
    )
    for name, value in extra.items():
        setattr(row, name, value)
    return row


def _submission(book: Gradebook, who: str, lesson: str, score: str | None, **extra: Any) -> Any:
    account: Account = getattr(book, who)
    return AssignmentSubmission(
        lesson_id=uuid.UUID(book.assignments[lesson]),
        course_id=uuid.UUID(book.course_id),
        enrollment_id=uuid.UUID(book.enrollments[who]),
        student_id=account.id,
        text="My work",
        status="graded" if score is not None else "submitted",
        score=None if score is None else Decimal(score),
        graded_at=utcnow() if score is not None else None,
        **extra,
    )


async def build_gradebook(
    client: httpx.AsyncClient, db: AsyncSession, make_account: AccountFactory
) -> Gradebook:
    owner = await make_account("instructor", full_name="Olga Owner")
    book = Gradebook(
        course_id="",
        owner=owner,
        alice=await make_account("student", full_name="Alice Able"),
        bob=await make_account("student", full_name="Bob Baker"),
        carl=await make_account("student", full_name="Carl Cole"),
    )
    course = await create_course(client, owner, title="Gradebook course")
    book.course_id = course["id"]
    for name in ("A1", "A2"):
        lesson = await add_lesson(
            client, owner, book.course_id, title=name, lesson_type="assignment", content="Do it"
        )
        book.assignments[name] = lesson["id"]
    await publish_course(client, owner, book.course_id)
    for name in ("Q1", "Q2", "Q3"):
        book.quizzes[name] = await _quiz(client, owner, book.course_id, name, "graded")
    book.quizzes["P"] = await _quiz(client, owner, book.course_id, "Practice", "practice")
    for who in ("alice", "bob", "carl"):
        book.enrollments[who] = (await enroll(client, getattr(book, who), book.course_id))["id"]

    db.add_all(
        [
            _attempt(
                book, "alice", "Q1", 1, "60.00", is_late=True, late_penalty_percent=Decimal("25")
            ),
            _attempt(
                book, "alice", "Q1", 2, "65.12", is_late=True, late_penalty_percent=Decimal("10")
            ),
            _attempt(book, "alice", "Q2", 1, "90.01"),
            _attempt(book, "alice", "Q3", 1, "40.00"),
            _attempt(book, "alice", "P", 1, "100.00"),
            _attempt(book, "bob", "Q1", 1, "50.00"),
            _attempt(book, "bob", "Q3", 1, None),
            _submission(book, "alice", "A1", "88.50"),
            _submission(
                book, "alice", "A2", "66.50", is_late=True, late_penalty_percent=Decimal("5")
            ),
            _submission(book, "bob", "A1", None),
            _submission(book, "bob", "A2", "100.00"),
        ]
    )
    await commit(db)
    return book


SCHEME = {
    "categories": [
        {"name": "Quizzes", "weight": "40", "item_type": "quiz", "drop_lowest": 1},
        {"name": "Assignments", "weight": "60", "item_type": "assignment"},
    ]
}
