"""A gradebook dataset written with bulk SQL inserts: one course with graded quizzes and
assignment lessons, its students in four cohorts, their attempts (some late, with a
penalty; some students with two attempts, some with none) and graded submissions.

The scores come from ``plan`` (a seeded pseudo-random generator), so the suite can
recompute every figure independently (``expected_grades``) on a small version of it;
the benchmark seeds 10,000 students and 50 items."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import insert, select

from lms.core.db import utcnow
from lms.modules.assignments.models import AssignmentSubmission
from lms.modules.courses.models import Cohort, Course, Lesson
from lms.modules.enrollments.models import Enrollment
from lms.modules.grades.models import GradingScheme
from lms.modules.quizzes.models import Quiz, QuizAttempt
from lms.modules.users.models import User

CENT = Decimal("0.01")
SCHEME = {
    "categories": [
        {"name": "Quizzes", "weight": "40", "item_type": "quiz", "drop_lowest": 2},
        {"name": "Assignments", "weight": "60", "item_type": "assignment", "drop_lowest": 0},
    ],
    "scale": [
        {"letter": "A", "min_percent": "90"},
        {"letter": "B", "min_percent": "80"},
        {"letter": "C", "min_percent": "70"},
        {"letter": "D", "min_percent": "60"},
        {"letter": "F", "min_percent": "0"},
    ],
    "missing_counts_as_zero": False,
    "hidden_items": [],
}


@dataclass
class Plan:
    """What to write: per student, per quiz its attempts (percentage, penalty), per
    assignment its graded score (score, penalty)."""

    students: int
    quizzes: int
    assignments: int
    attempts: dict[tuple[int, int], list[tuple[Decimal, Decimal | None]]] = field(
        default_factory=dict
    )
    submissions: dict[tuple[int, int], tuple[Decimal, Decimal | None]] = field(default_factory=dict)


def _percent(rng: random.Random) -> Decimal:
    return Decimal(rng.randint(0, 10_000)).scaleb(-2)


def _penalty(rng: random.Random) -> Decimal | None:
    return Decimal(rng.choice((5, 10, 12.5, 33.33))).quantize(CENT) if rng.random() < 0.15 else None


def plan(students: int, quizzes: int, assignments: int, *, seed: int = 19) -> Plan:
    rng = random.Random(seed)
    found = Plan(students, quizzes, assignments)
    for student in range(students):
        for quiz in range(quizzes):
            roll = rng.random()
            if roll < 0.1:
                continue  # not attempted
            count = 2 if roll > 0.8 else 1
            found.attempts[student, quiz] = [(_percent(rng), _penalty(rng)) for _ in range(count)]
        for lesson in range(assignments):
            if rng.random() < 0.1:
                continue  # not handed in, or not graded yet
            found.submissions[student, lesson] = (_percent(rng), _penalty(rng))
    return found


def _effective(score: Decimal, penalty: Decimal | None) -> Decimal:
    return (score * (100 - (penalty or 0)) / 100).quantize(CENT, rounding=ROUND_HALF_UP)


def _average(values: list[Decimal], drop: int) -> Decimal | None:
    if not values:
        return None
    kept = sorted(values)[min(drop, len(values) - 1) :]
    return (sum(kept, Decimal(0)) / len(kept)).quantize(CENT, rounding=ROUND_HALF_UP)


def expected_grades(data: Plan) -> list[tuple[Decimal | None, Decimal | None, Decimal | None]]:
    """Per student (in plan order): the quizzes' and assignments' averages and the
    course grade under ``SCHEME``, computed here in Python ``Decimal``."""
    result = []
    for student in range(data.students):
        quiz_scores = [
            max(_effective(score, penalty) for score, penalty in data.attempts[student, quiz])
            for quiz in range(data.quizzes)
            if (student, quiz) in data.attempts
        ]
        homework = [
            _effective(*data.submissions[student, lesson])
            for lesson in range(data.assignments)
            if (student, lesson) in data.submissions
        ]
        quizzes = _average(quiz_scores, 2)
        assignments = _average(homework, 0)
        weighted = [(w, a) for w, a in ((40, quizzes), (60, assignments)) if a is not None]
        grade = (
            (sum(w * a for w, a in weighted) / sum(w for w, _ in weighted)).quantize(
                CENT, rounding=ROUND_HALF_UP
            )
            if weighted
            else None
        )
        result.append((quizzes, assignments, grade))
    return result


def student_name(index: int) -> str:
    return f"Student {index:05d}"


async def seed(sessionmaker: Any, data: Plan, *, title: str, batch: int = 5000) -> uuid.UUID:
    """Write ``data`` as a new course (or return the course of that title if it exists)."""
    async with sessionmaker() as session:
        found = await session.scalar(select(Course.id).where(Course.title == title))
        if found is not None:
            return uuid.UUID(str(found))
        now = utcnow()
        tag = uuid.uuid4().hex[:8]
        owner = User(
            email=f"gradebook-owner-{tag}@example.com",
            password_hash=None,
            full_name="Owner",
            role="instructor",
            is_active=True,
        )
        session.add(owner)
        await session.flush()
        course = Course(
            title=title,
            slug=f"gradebook-{tag}",
            instructor_id=owner.id,
            is_published=True,
            price=Decimal("0"),
            currency="EGP",
        )
        session.add(course)
        await session.flush()
        lessons = [
            Lesson(
                course_id=course.id,
                title=f"Homework {index + 1:02d}",
                slug=f"homework-{index + 1:02d}",
                lesson_type="assignment",
                order_index=index,
            )
            for index in range(data.assignments)
        ]
        quizzes = [
            Quiz(
                course_id=course.id,
                title=f"Quiz {index + 1:02d}",
                quiz_type="graded",
                is_published=True,
                created_at=now + timedelta(seconds=index),
            )
            for index in range(data.quizzes)
        ]
        cohorts = [Cohort(course_id=course.id, name=n, member_count=0) for n in "ABCD"]
        session.add_all([*lessons, *quizzes, *cohorts])
        session.add(GradingScheme(course_id=course.id, scheme=SCHEME, updated_by_id=owner.id))
        await session.flush()
        users: list[dict[str, Any]] = []
        enrollments: list[dict[str, Any]] = []
        attempts: list[dict[str, Any]] = []
        submissions: list[dict[str, Any]] = []

        async def flush_rows() -> None:
            for model, rows in (
                (User, users),
                (Enrollment, enrollments),
                (QuizAttempt, attempts),
                (AssignmentSubmission, submissions),
            ):
                if rows:
                    await session.execute(insert(model), rows)
                    rows.clear()

        for student in range(data.students):
            user_id, enrollment_id = uuid.uuid4(), uuid.uuid4()
            users.append(
                {
                    "id": user_id,
                    "email": f"gb{student}-{tag}@example.com",
                    "password_hash": None,
                    "full_name": student_name(student),
                    "role": "student",
                    "is_active": True,
                    "mfa_enabled": False,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            enrollments.append(
                {
                    "id": enrollment_id,
                    "student_id": user_id,
                    "course_id": course.id,
                    "cohort_id": cohorts[student % 4].id,
                    "status": "active",
                    "enrolled_at": now,
                    "total_lessons_count": data.assignments,
                }
            )
            for quiz in range(data.quizzes):
                for number, (score, penalty) in enumerate(
                    data.attempts.get((student, quiz), ()), start=1
                ):
                    attempts.append(
                        {
                            "id": uuid.uuid4(),
                            "quiz_id": quizzes[quiz].id,
                            "student_id": user_id,
                            "enrollment_id": enrollment_id,
                            "attempt_number": number,
                            "status": "graded",
                            "started_at": now,
                            "submitted_at": now,
                            "graded_at": now,
                            # Stored after the late penalty, as a schedule applies it.
                            "percentage": _effective(score, penalty),
                            "is_late": penalty is not None,
                            "late_penalty_percent": penalty,
                            "question_order": [],
                            "option_order": {},
                        }
                    )
            for lesson in range(data.assignments):
                if (student, lesson) not in data.submissions:
                    continue
                score, penalty = data.submissions[student, lesson]
                submissions.append(
                    {
                        "id": uuid.uuid4(),
                        "lesson_id": lessons[lesson].id,
                        "course_id": course.id,
                        "enrollment_id": enrollment_id,
                        "student_id": user_id,
                        "text": "Work",
                        "status": "graded",
                        "score": _effective(score, penalty),
                        "is_late": penalty is not None,
                        "late_penalty_percent": penalty,
                        "submitted_at": now,
                        "graded_at": now,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
            if len(users) >= batch // 10:
                await flush_rows()
        await flush_rows()
        await session.commit()
        return uuid.UUID(str(course.id))
