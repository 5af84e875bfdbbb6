"""Seed a migrated PostgreSQL database for the exam-day benchmark: one published course
with one lesson, one published graded quiz of 20 questions with a 60-minute time limit
(questions and options shuffled), and ``--students`` students enrolled in the course.

Rows go in with asyncpg's COPY. Students never sign in: the load generator signs their
access tokens with the server's key. Writes a manifest (JSON) with the quiz, its questions
and an answer for each, and the students' ids.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg

QUESTIONS = 20
# Nobody signs in with a password here; any bcrypt-shaped hash will do.
PASSWORD_HASH = "$2b$12$" + "x" * 53

USER_COLUMNS = [
    "id",
    "email",
    "password_hash",
    "full_name",
    "role",
    "is_active",
    "mfa_enabled",
    "created_at",
    "updated_at",
]
COURSE_COLUMNS = [
    "id",
    "title",
    "slug",
    "description",
    "instructor_id",
    "category",
    "difficulty_level",
    "is_published",
    "published_at",
    "estimated_duration_minutes",
    "price",
    "currency",
    "created_at",
    "updated_at",
]
LESSON_COLUMNS = [
    "id",
    "course_id",
    "title",
    "slug",
    "description",
    "content",
    "lesson_type",
    "order_index",
    "duration_minutes",
    "is_preview",
    "created_at",
    "updated_at",
]
QUIZ_COLUMNS = [
    "id",
    "course_id",
    "lesson_id",
    "title",
    "description",
    "quiz_type",
    "passing_score",
    "time_limit_minutes",
    "max_attempts",
    "shuffle_questions",
    "shuffle_options",
    "show_correct_answers",
    "is_published",
    "published_at",
    "created_at",
    "updated_at",
]
QUESTION_COLUMNS = [
    "id",
    "quiz_id",
    "question_text",
    "question_type",
    "points",
    "order_index",
    "explanation",
    "options",
    "correct_answer",
    "created_at",
    "updated_at",
]
ENROLLMENT_COLUMNS = [
    "id",
    "student_id",
    "course_id",
    "enrolled_at",
    "status",
    "progress_percentage",
    "completed_lessons_count",
    "total_lessons_count",
    "total_time_spent_seconds",
]
PROGRESS_COLUMNS = [
    "id",
    "enrollment_id",
    "lesson_id",
    "status",
    "time_spent_seconds",
    "last_position_seconds",
    "completion_percentage",
    "attempts_count",
]


def _questions(rng: random.Random, quiz_id: uuid.UUID, at: datetime) -> list[tuple[Any, ...]]:
    rows = []
    for order in range(QUESTIONS):
        if order % 4 == 3:
            kind, options, correct = "true_false", ["true", "false"], rng.choice(["true", "false"])
        else:
            options = [f"Option {letter} of question {order + 1}" for letter in "ABCD"]
            kind, correct = "multiple_choice", rng.choice(options)
        rows.append(
            (uuid.uuid4(), quiz_id, f"Question {order + 1}: which one is right?", kind,
             Decimal("1.00"), order, "Because it is so.", json.dumps(options), correct, at, at)
        )  # fmt: skip
    return rows


async def seed(dsn: str, manifest_path: Path, students: int) -> None:
    rng = random.Random(20261207)
    now = datetime.now(UTC)
    created = now - timedelta(days=30)
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT count(*) FROM users") > 0:
            raise SystemExit("the database is not empty: the benchmark seeds a fresh database")
        instructor = uuid.uuid4()
        student_ids = [uuid.uuid4() for _ in range(students)]
        course, lesson, quiz = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        questions = _questions(rng, quiz, created)
        enrollments = [(uuid.uuid4(), sid) for sid in student_ids]
        async with conn.transaction():
            # Every reference is valid by construction: skip the foreign-key triggers.
            await conn.execute("SET LOCAL session_replication_role = replica")
            users = [
                (
                    instructor,
                    "teacher@exam.example.com",
                    PASSWORD_HASH,
                    "Exam Teacher",
                    "instructor",
                    True,
                    False,
                    created,
                    created,
                )
            ]
            users += [
                (sid, f"taker{n}@exam.example.com", PASSWORD_HASH, f"Taker {n}", "student",
                 True, False, created, created)
                for n, sid in enumerate(student_ids)
            ]  # fmt: skip
            await conn.copy_records_to_table("users", records=users, columns=USER_COLUMNS)
            await conn.copy_records_to_table(
                "courses",
                records=[(course, "Final exam course", "final-exam-course", "The course.",
                          instructor, "science", "beginner", True, created, 60, Decimal("0"),
                          "EGP", created, created)],
                columns=COURSE_COLUMNS,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "lessons",
                records=[(lesson, course, "Revision", "revision", "Read this first.",
                          "Everything you need.", "text", 1, 10, False, created, created)],
                columns=LESSON_COLUMNS,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "quizzes",
                records=[(quiz, course, None, "Final exam", "Twenty questions, one hour.",
                          "graded", Decimal("50"), 60, 3, True, True, False, True, created,
                          created, created)],
                columns=QUIZ_COLUMNS,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "quiz_questions", records=questions, columns=QUESTION_COLUMNS
            )
            await conn.copy_records_to_table(
                "enrollments",
                records=[(eid, sid, course, created, "active", Decimal("0"), 0, 1, 0)
                         for eid, sid in enrollments],
                columns=ENROLLMENT_COLUMNS,
            )  # fmt: skip
            await conn.copy_records_to_table(
                "lesson_progress",
                records=[(uuid.uuid4(), eid, lesson, "not_started", 0, 0, Decimal("0"), 0)
                         for eid, _sid in enrollments],
                columns=PROGRESS_COLUMNS,
            )  # fmt: skip
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    manifest = {
        "quiz_id": str(quiz),
        "answers": {str(row[0]): row[8] for row in questions},
        "students": [str(sid) for sid in student_ids],
    }
    manifest_path.write_text(json.dumps(manifest))  # noqa: ASYNC240 - once, at the end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="postgresql://user@host:port/db")
    parser.add_argument("--manifest", type=Path, required=True)
    parser.add_argument("--students", type=int, default=12_000)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(seed(args.dsn, args.manifest, args.students))
    print(f"seeded {args.students} students in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
