"""Seed a migrated PostgreSQL database with the load benchmark's catalogue, quickly.

500 published courses x 20 lessons (50 instructors), one published practice quiz of
10 questions per course, 20,000 students, 100,000 enrollments with per-lesson progress
(2,000,000 progress rows). Rows go in with asyncpg's COPY; the bcrypt hash of the one
shared password is computed once and reused for every account.

Besides the realistic population, a few groups of students are set aside for the
scenarios that change data (see ``POOLS``): each target (our app, the baseline build,
the floor) gets its own students with untouched enrollments, so every "lesson complete"
request completes a lesson that was not completed before, whichever server it hits.

Writes a manifest (JSON) of the ids the scenarios need. Usage:
    python seed.py --dsn postgresql://... --manifest out/manifest.json
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
import bcrypt

PASSWORD = "bench-password-42"
COURSES = 500
LESSONS_PER_COURSE = 20
INSTRUCTORS = 50
STUDENTS = 20_000
ENROLLMENTS = 100_000
QUESTIONS_PER_QUIZ = 10
# Targets whose write scenarios need students of their own.
POOLS = ("app", "baseline", "floor")
POOL_STUDENTS = 60
POOL_ENROLLMENTS = 40  # per pool student, all untouched: 40 x 20 lessons to complete each
READERS = 100  # ordinary students whose tokens drive the read scenarios

CATEGORIES = ["programming", "data", "design", "business", "languages", "music", "science"]
LEVELS = ["beginner", "intermediate", "advanced"]
WORDS = [
    "learn",
    "build",
    "practice",
    "apply",
    "understand",
    "explore",
    "design",
    "measure",
    "test",
    "improve",
    "compose",
    "analyse",
    "review",
    "deploy",
    "model",
    "reason",
    "write",
    "speak",
    "draw",
    "plan",
    "teach",
]


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def _paragraphs(rng: random.Random, count: int) -> str:
    return "\n\n".join(_text(rng, 60) for _ in range(count))


async def _copy(conn: asyncpg.Connection, table: str, columns: list[str], rows: Any) -> int:
    started = time.perf_counter()
    rows = list(rows)
    await conn.copy_records_to_table(table, records=rows, columns=columns)
    print(f"  {table}: {len(rows):>9,} rows in {time.perf_counter() - started:5.1f} s", flush=True)
    return len(rows)


async def seed(dsn: str, manifest_path: str, bcrypt_rounds: int) -> None:
    rng = random.Random(20240601)
    now = datetime.now(UTC)
    password_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(bcrypt_rounds)).decode()
    conn = await asyncpg.connect(dsn)
    try:
        if await conn.fetchval("SELECT count(*) FROM users") > 0:
            raise SystemExit("the database is not empty: the benchmark seeds a fresh database")
        async with conn.transaction():
            # The generator keeps every reference valid, so the foreign-key triggers are
            # skipped for the load (superuser only), which makes COPY several times faster.
            await conn.execute("SET LOCAL session_replication_role = replica")
            # Users
            users: list[tuple[Any, ...]] = []
            instructors = []
            for index in range(INSTRUCTORS):
                user_id = uuid.uuid4()
                instructors.append(user_id)
                created = now - timedelta(days=800 - index)
                users.append(
                    (
                        user_id,
                        f"instructor{index}@example.com",
                        password_hash,
                        f"Instructor {index}",
                        "instructor",
                        True,
                        False,
                        None,
                        created,
                        created,
                    )
                )
            students = []
            for index in range(STUDENTS):
                user_id = uuid.uuid4()
                students.append((user_id, f"student{index}@example.com"))
                created = now - timedelta(days=rng.randint(1, 700), seconds=rng.randint(0, 86399))
                users.append(
                    (
                        user_id,
                        f"student{index}@example.com",
                        password_hash,
                        f"Student {index}",
                        "student",
                        True,
                        False,
                        '{"timezone": "UTC"}',
                        created,
                        created,
                    )
                )
            await _copy(
                conn,
                "users",
                [
                    "id",
                    "email",
                    "password_hash",
                    "full_name",
                    "role",
                    "is_active",
                    "mfa_enabled",
                    "profile_metadata",
                    "created_at",
                    "updated_at",
                ],
                users,
            )

            # Courses and lessons
            courses = []
            lessons: dict[uuid.UUID, list[uuid.UUID]] = {}
            course_rows = []
            lesson_rows = []
            for index in range(COURSES):
                course_id = uuid.uuid4()
                courses.append(course_id)
                created = now - timedelta(days=700 - index, hours=rng.randint(0, 23))
                course_rows.append(
                    (
                        course_id,
                        f"Course {index}: {_text(rng, 4)[:-1]}",
                        f"course-{index}",
                        _text(rng, 50),
                        instructors[index % INSTRUCTORS],
                        rng.choice(CATEGORIES),
                        rng.choice(LEVELS),
                        True,
                        created + timedelta(days=1),
                        f"https://cdn.example.com/thumbs/{index}.jpg",
                        20 * 12,
                        Decimal("0.00"),
                        "EGP",
                        json.dumps({"tags": rng.sample(WORDS, 3)}),
                        created,
                        created + timedelta(days=1),
                    )
                )
                ids = []
                for order in range(1, LESSONS_PER_COURSE + 1):
                    lesson_id = uuid.uuid4()
                    ids.append(lesson_id)
                    is_video = order % 3 == 1
                    lesson_rows.append(
                        (
                            lesson_id,
                            course_id,
                            f"Lesson {order}: {_text(rng, 3)[:-1]}",
                            f"lesson-{order}",
                            _text(rng, 20),
                            _paragraphs(rng, 5),
                            "video" if is_video else "text",
                            order,
                            12,
                            f"https://cdn.example.com/videos/{index}/{order}.mp4"
                            if is_video
                            else None,
                            order == 1,
                            None,
                            created,
                            created,
                        )
                    )
                lessons[course_id] = ids
            await _copy(
                conn,
                "courses",
                [
                    "id",
                    "title",
                    "slug",
                    "description",
                    "instructor_id",
                    "category",
                    "difficulty_level",
                    "is_published",
                    "published_at",
                    "thumbnail_url",
                    "estimated_duration_minutes",
                    "price",
                    "currency",
                    "course_metadata",
                    "created_at",
                    "updated_at",
                ],
                course_rows,
            )
            await _copy(
                conn,
                "lessons",
                [
                    "id",
                    "course_id",
                    "title",
                    "slug",
                    "description",
                    "content",
                    "lesson_type",
                    "order_index",
                    "duration_minutes",
                    "video_url",
                    "is_preview",
                    "lesson_metadata",
                    "created_at",
                    "updated_at",
                ],
                lesson_rows,
            )

            # Quizzes
            quizzes = {}
            quiz_rows = []
            question_rows = []
            for index, course_id in enumerate(courses):
                quiz_id = uuid.uuid4()
                quizzes[course_id] = quiz_id
                created = now - timedelta(days=600 - index % 600)
                quiz_rows.append(
                    (
                        quiz_id,
                        course_id,
                        None,
                        f"Check your understanding {index}",
                        "Ten quick questions.",
                        "practice",
                        Decimal("70"),
                        None,
                        None,
                        True,
                        True,
                        True,
                        True,
                        created,
                        created,
                        created,
                    )
                )
                for order in range(QUESTIONS_PER_QUIZ):
                    if order % 5 < 3:
                        options = [f"Option {letter} of question {order}" for letter in "ABCD"]
                        kind, correct = "multiple_choice", options[rng.randrange(4)]
                    else:
                        options, kind = ["true", "false"], "true_false"
                        correct = rng.choice(options)
                    question_rows.append(
                        (
                            uuid.uuid4(),
                            quiz_id,
                            f"Question {order} about {_text(rng, 6)[:-1]}?",
                            kind,
                            Decimal("1.00"),
                            order,
                            "Because it is so.",
                            json.dumps(options),
                            correct,
                            created,
                            created,
                        )
                    )
            await _copy(
                conn,
                "quizzes",
                [
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
                ],
                quiz_rows,
            )
            await _copy(
                conn,
                "quiz_questions",
                [
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
                ],
                question_rows,
            )

            # Enrollments and progress
            pool_size = POOL_STUDENTS * len(POOLS)
            pools = {
                name: students[number * POOL_STUDENTS : (number + 1) * POOL_STUDENTS]
                for number, name in enumerate(POOLS)
            }
            regular = students[pool_size:]
            readers = regular[:READERS]
            plan: list[tuple[uuid.UUID, uuid.UUID, bool]] = []  # (student, course, fresh)
            for student_id, _email in students[:pool_size]:
                for course_index in rng.sample(range(COURSES), POOL_ENROLLMENTS):
                    plan.append((student_id, courses[course_index], True))
            remaining = ENROLLMENTS - len(plan)
            per_student, extra = divmod(remaining, len(regular))
            for number, (student_id, _email) in enumerate(regular):
                count = per_student + (1 if number < extra else 0)
                for course_index in rng.sample(range(COURSES), count):
                    plan.append((student_id, courses[course_index], False))

            enrollment_rows = []
            progress_rows = []
            enrollments_of: dict[uuid.UUID, list[dict[str, str]]] = {}
            for student_id, course_id, fresh in plan:
                enrollment_id = uuid.uuid4()
                enrolled = now - timedelta(days=rng.randint(1, 365), seconds=rng.randint(0, 86399))
                done = 0 if fresh else rng.randint(0, LESSONS_PER_COURSE)
                total_seconds = 0
                for order, lesson_id in enumerate(lessons[course_id], start=1):
                    if order <= done:
                        seconds = rng.randint(300, 1500)
                        at = enrolled + timedelta(hours=order * 6)
                        progress_rows.append(
                            (
                                uuid.uuid4(),
                                enrollment_id,
                                lesson_id,
                                "completed",
                                at,
                                at,
                                seconds,
                                seconds,
                                Decimal("100"),
                                1,
                                at,
                            )
                        )
                    elif order == done + 1 and not fresh and rng.random() < 0.5:
                        seconds = rng.randint(30, 600)
                        at = enrolled + timedelta(hours=order * 6)
                        progress_rows.append(
                            (
                                uuid.uuid4(),
                                enrollment_id,
                                lesson_id,
                                "in_progress",
                                at,
                                None,
                                seconds,
                                seconds,
                                Decimal("40"),
                                0,
                                at,
                            )
                        )
                    else:
                        seconds = 0
                        progress_rows.append(
                            (
                                uuid.uuid4(),
                                enrollment_id,
                                lesson_id,
                                "not_started",
                                None,
                                None,
                                0,
                                0,
                                Decimal("0"),
                                0,
                                None,
                            )
                        )
                    total_seconds += seconds
                completed = done == LESSONS_PER_COURSE
                last = enrolled + timedelta(hours=done * 6) if done else None
                enrollment_rows.append(
                    (
                        enrollment_id,
                        student_id,
                        course_id,
                        enrolled,
                        enrolled if done else None,
                        last if completed else None,
                        "completed" if completed else "active",
                        Decimal(done * 100) / LESSONS_PER_COURSE,
                        done,
                        LESSONS_PER_COURSE,
                        total_seconds,
                        last,
                    )
                )
                enrollments_of.setdefault(str(student_id), []).append(
                    {"enrollment_id": str(enrollment_id), "course_id": str(course_id)}
                )
            await _copy(
                conn,
                "enrollments",
                [
                    "id",
                    "student_id",
                    "course_id",
                    "enrolled_at",
                    "started_at",
                    "completed_at",
                    "status",
                    "progress_percentage",
                    "completed_lessons_count",
                    "total_lessons_count",
                    "total_time_spent_seconds",
                    "last_accessed_at",
                ],
                enrollment_rows,
            )
            await _copy(
                conn,
                "lesson_progress",
                [
                    "id",
                    "enrollment_id",
                    "lesson_id",
                    "status",
                    "started_at",
                    "completed_at",
                    "time_spent_seconds",
                    "last_position_seconds",
                    "completion_percentage",
                    "attempts_count",
                    "updated_at",
                ],
                progress_rows,
            )
        started = time.perf_counter()
        await conn.execute("ANALYZE")
        print(f"  ANALYZE in {time.perf_counter() - started:.1f} s", flush=True)
    finally:
        await conn.close()

    def people(group: list[tuple[uuid.UUID, str]]) -> list[dict[str, Any]]:
        return [
            {"id": str(sid), "email": email, "enrollments": enrollments_of[str(sid)]}
            for sid, email in group
        ]

    manifest = {
        "password": PASSWORD,
        "courses": [str(c) for c in courses],
        "lessons": {str(c): [str(lid) for lid in ids] for c, ids in lessons.items()},
        "quizzes": {str(c): str(q) for c, q in quizzes.items()},
        "readers": people(readers),
        "pools": {name: people(group) for name, group in pools.items()},
        "login_emails": [email for _sid, email in regular[READERS : READERS + 2000]],
    }
    Path(manifest_path).write_text(json.dumps(manifest))  # noqa: ASYNC240 - once, at the end


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", required=True, help="postgresql://user@host:port/db")
    parser.add_argument("--manifest", required=True)
    parser.add_argument("--bcrypt-rounds", type=int, default=12)
    args = parser.parse_args()
    started = time.perf_counter()
    asyncio.run(seed(args.dsn, args.manifest, args.bcrypt_rounds))
    print(f"seeded in {time.perf_counter() - started:.1f} s", flush=True)


if __name__ == "__main__":
    main()
