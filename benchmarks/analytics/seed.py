"""Seed a PostgreSQL database for the analytics benchmark with bulk COPY.

The database is created from scratch and migrated with ``lms.core.migrate.upgrade``;
rows are generated in chunks of students (never all at once) and streamed with asyncpg's
``copy_records_to_table``. Secondary indexes are dropped during the load and rebuilt
afterwards (a sorted build is far cheaper than 10 M scattered inserts), foreign-key
triggers are skipped for the loading session (the generator only writes consistent
rows), and the tables are vacuumed and analysed at the end, as autovacuum would.

Shape of the data (default scale): 1,000 courses of 10 lessons by 100 instructors;
100,000 students with 10 enrollments each (1,000,000), course popularity skewed like
1/sqrt(rank) so some courses are large and most are small; one progress row per
enrollment and lesson (10,000,000); two quizzes per course and 500,000 attempts; about
200,000 payments on paid courses; a certificate per completed enrollment. Timestamps
spread over the last two years.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg

from lms.core.migrate import upgrade

BIG_TABLES = (
    "users",
    "courses",
    "lessons",
    "enrollments",
    "lesson_progress",
    "quizzes",
    "quiz_attempts",
    "payments",
    "certificates",
)
# Not a usable hash: these accounts are never logged in to.
PASSWORD_HASH = "$2b$12$benchmarkbenchmarkbenchmarkbenchmarkbenchmarkbenchm"
STATUSES = (("completed", 30), ("active", 55), ("dropped", 12), ("expired", 3))
PROVIDERS = ("stripe", "paymob", "myfatoorah")
PERCENT = [Decimal(n) / 2 for n in range(201)]  # 0.0, 0.5 … 100.0
DAY = 86_400


@dataclass(frozen=True)
class Scale:
    courses: int = 1_000
    students: int = 100_000
    enrollments: int = 1_000_000
    progress_rows: int = 10_000_000
    quiz_attempts: int = 500_000
    payments: int = 200_000
    chunk_students: int = 1_000

    @property
    def instructors(self) -> int:
        return max(1, self.courses // 10)

    @property
    def per_student(self) -> int:
        return self.enrollments // self.students

    @property
    def lessons_per_course(self) -> int:
        return self.progress_rows // self.enrollments

    def check(self) -> None:
        if self.per_student < 1 or self.per_student > self.courses:
            raise ValueError("enrollments / students must be between 1 and the course count")
        if self.lessons_per_course < 1:
            raise ValueError("progress rows must be at least one per enrollment")
        if self.quiz_attempts > self.enrollments * 2:
            raise ValueError("at most two quiz attempts per enrollment (one per quiz)")


@dataclass
class Counts:
    rows: dict[str, int] = field(default_factory=dict)

    def add(self, table: str, n: int) -> None:
        self.rows[table] = self.rows.get(table, 0) + n


class Ids:
    """Distinct, ordered UUIDs per table (sequential keys keep the primary-key and
    (enrollment, lesson) indexes append-only during the load)."""

    def __init__(self) -> None:
        self._next: dict[int, itertools.count[int]] = {}

    def new(self, tag: int) -> uuid.UUID:
        counter = self._next.setdefault(tag, itertools.count(1))
        return uuid.UUID(int=(tag << 96) | next(counter))


def _evenly(i: int, part: int, whole: int) -> bool:
    """True for exactly ``part`` of the indexes 0 … whole-1, spread evenly."""
    return (i + 1) * part // whole > i * part // whole


async def create_database(server_url: str, name: str) -> str:
    """Drop and create ``name`` on the server; returns its asyncpg URL."""
    admin = await asyncpg.connect(f"{server_url}/postgres")
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return f"{server_url}/{name}"


def migrate(dsn: str) -> None:
    """Apply the project's migrations (synchronous: call outside a running event loop)."""
    upgrade(dsn.replace("postgresql://", "postgresql+asyncpg://", 1))


async def _secondary_indexes(conn: asyncpg.Connection) -> list[tuple[str, str]]:
    rows = await conn.fetch(
        """
        SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS definition
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND t.relname = ANY($1::text[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        ORDER BY 1
        """,
        list(BIG_TABLES),
    )
    return [(row["name"], row["definition"]) for row in rows]


class Generator:
    def __init__(self, scale: Scale, *, now: datetime, seed: int) -> None:
        self.scale = scale
        self.now = now
        self.rng = random.Random(seed)
        self.ids = Ids()
        self.admin_id = self.ids.new(1)
        self.instructor_ids = [self.ids.new(1) for _ in range(scale.instructors)]
        self.course_ids = [self.ids.new(2) for _ in range(scale.courses)]
        self.lesson_ids = [
            [self.ids.new(3) for _ in range(scale.lessons_per_course)] for _ in self.course_ids
        ]
        self.quiz_ids = [[self.ids.new(4), self.ids.new(4)] for _ in self.course_ids]
        # Course popularity ~ 1/sqrt(rank), ranks shuffled over the courses.
        order = list(range(scale.courses))
        self.rng.shuffle(order)
        weights = [1 / (rank + 1) ** 0.5 for rank in range(scale.courses)]
        self.popular = order
        self.cumulative = list(itertools.accumulate(weights))
        self.prices = [
            Decimal("0.00") if n % 5 == 0 else Decimal(100 + 50 * (n % 8)) for n in order
        ]
        self.enrollment_index = 0
        self.certificate_number = 0

    def _at(self, seconds_ago: float) -> datetime:
        return self.now - timedelta(seconds=seconds_ago)

    def _sample_courses(self, k: int) -> list[int]:
        chosen: set[int] = set()
        total = self.cumulative[-1]
        while len(chosen) < k:
            rank = bisect.bisect_left(self.cumulative, self.rng.random() * total)
            chosen.add(self.popular[min(rank, len(self.popular) - 1)])
        return sorted(chosen)

    def _status(self) -> str:
        roll = self.rng.randrange(100)
        for status, share in STATUSES:
            if roll < share:
                return status
            roll -= share
        return "active"

    # Catalogue rows

    def users(self, first: int, last: int) -> list[tuple[Any, ...]]:
        rows = []
        for n in range(first, last):
            created = self._at(self.rng.uniform(0, 800 * DAY))
            last_login = self._at(self.rng.uniform(0, 120 * DAY))
            rows.append(
                (self.student_id(n), f"student{n}@example.com", PASSWORD_HASH, f"Student {n}",
                 "student", n % 50 != 0, False, created, created, last_login)
            )  # fmt: skip
        return rows

    def student_id(self, n: int) -> uuid.UUID:
        return uuid.UUID(int=(9 << 96) | (n + 1))

    def staff(self) -> list[tuple[Any, ...]]:
        created = self._at(900 * DAY)
        rows = [
            (self.admin_id, "admin@example.com", PASSWORD_HASH, "Admin", "admin", True, False,
             created, created, self.now)
        ]  # fmt: skip
        for n, user_id in enumerate(self.instructor_ids):
            rows.append(
                (user_id, f"instructor{n}@example.com", PASSWORD_HASH, f"Instructor {n}",
                 "instructor", True, False, created, created, self._at(n * 3600))
            )  # fmt: skip
        return rows

    def courses(self) -> list[tuple[Any, ...]]:
        rows = []
        for n, course_id in enumerate(self.course_ids):
            created = self._at(800 * DAY - n * 600)
            published = n % 10 != 9
            instructor_id = self.instructor_ids[n % len(self.instructor_ids)]
            rows.append(
                (course_id, f"Course {n}", f"course-{n}", instructor_id, published,
                 created if published else None, self.prices[n], "EGP", created, created)
            )  # fmt: skip
        return rows

    def lessons(self) -> list[tuple[Any, ...]]:
        rows = []
        for course_id, lesson_ids in zip(self.course_ids, self.lesson_ids, strict=True):
            for index, lesson_id in enumerate(lesson_ids):
                created = self._at(800 * DAY)
                rows.append(
                    (lesson_id, course_id, f"Lesson {index + 1}", f"lesson-{index + 1}", "video",
                     index, index == 0, created, created)
                )  # fmt: skip
        return rows

    def quizzes(self) -> list[tuple[Any, ...]]:
        created = self._at(800 * DAY)
        return [
            (quiz_id, course_id, f"Quiz {q + 1}", "graded", Decimal("70"), True, True, True, True,
             created, created)
            for course_id, quiz_ids in zip(self.course_ids, self.quiz_ids, strict=True)
            for q, quiz_id in enumerate(quiz_ids)
        ]  # fmt: skip

    # Learning rows, one chunk of students at a time

    def chunk(self, first: int, last: int) -> dict[str, list[tuple[Any, ...]]]:
        scale = self.scale
        lessons = scale.lessons_per_course
        out: dict[str, list[tuple[Any, ...]]] = {
            "enrollments": [],
            "lesson_progress": [],
            "quiz_attempts": [],
            "payments": [],
            "certificates": [],
        }
        rng = self.rng
        for n in range(first, last):
            student_id = self.student_id(n)
            for course in self._sample_courses(scale.per_student):
                i = self.enrollment_index
                self.enrollment_index += 1
                enrollment_id = self.ids.new(5)
                status = self._status()
                enrolled_ago = rng.uniform(0, 730 * DAY)
                enrolled_at = self._at(enrolled_ago)
                if status == "completed":
                    done = lessons
                elif status == "active":
                    done = rng.randrange(lessons)
                else:
                    done = rng.randrange(max(1, lessons // 2 + 1))
                completed_at = (
                    self._at(enrolled_ago * rng.uniform(0.1, 0.9))
                    if status == "completed"
                    else None
                )
                if status == "active":
                    last_ago = enrolled_ago * rng.random() ** 3  # most active ones are recent
                else:
                    last_ago = enrolled_ago * rng.uniform(0.05, 0.95)
                last_accessed = self._at(last_ago) if done or status == "active" else None
                rating = rng.randint(1, 5) if rng.random() < 0.4 and done else None
                seconds_total = 0
                for index, lesson_id in enumerate(self.lesson_ids[course]):
                    if index < done:
                        state, seconds = "completed", rng.randint(300, 1200)
                        started = self._at(enrolled_ago - (index + 1) * 3600)
                        finished: datetime | None = started + timedelta(seconds=seconds)
                        pct = PERCENT[200]
                    elif index == done and status == "active":
                        state, seconds = "in_progress", rng.randint(10, 600)
                        started, finished, pct = self._at(last_ago), None, PERCENT[100]
                    else:
                        state, seconds, started, finished, pct = (
                            "not_started",
                            0,
                            None,
                            None,
                            PERCENT[0],
                        )
                    seconds_total += seconds
                    out["lesson_progress"].append(
                        (self.ids.new(6), enrollment_id, lesson_id, state, seconds, 0, pct, 0,
                         started, finished, finished or started)
                    )  # fmt: skip
                out["enrollments"].append(
                    (enrollment_id, student_id, self.course_ids[course], enrolled_at, status,
                     Decimal(done * 100) / lessons, done, lessons, seconds_total,
                     enrolled_at if done else None, completed_at, last_accessed, rating)
                )  # fmt: skip
                if _evenly(i, scale.quiz_attempts, scale.enrollments * 2):
                    self._attempt(out, enrollment_id, student_id, course, 0, enrolled_ago)
                if _evenly(i + scale.enrollments, scale.quiz_attempts, scale.enrollments * 2):
                    self._attempt(out, enrollment_id, student_id, course, 1, enrolled_ago)
                price = self.prices[course]
                if price and _evenly(i, scale.payments, scale.enrollments):
                    self._payment(out, student_id, course, enrollment_id, price, enrolled_at)
                if status == "completed" and completed_at is not None:
                    self.certificate_number += 1
                    out["certificates"].append(
                        (self.ids.new(7), enrollment_id, student_id, self.course_ids[course],
                         f"CERT-{completed_at:%Y%m%d}-{self.certificate_number:08X}", "local",
                         completed_at, completed_at, rng.random() < 0.01)
                    )  # fmt: skip
        return out

    def _attempt(
        self,
        out: dict[str, list[tuple[Any, ...]]],
        enrollment_id: uuid.UUID,
        student_id: uuid.UUID,
        course: int,
        quiz: int,
        enrolled_ago: float,
    ) -> None:
        rng = self.rng
        started = self._at(enrolled_ago * rng.uniform(0.05, 0.95))
        roll = rng.random()
        status = "graded" if roll < 0.9 else "submitted" if roll < 0.95 else "in_progress"
        submitted = started + timedelta(minutes=rng.randint(2, 40))
        pct = None
        if status == "graded":
            pct = PERCENT[max(0, min(200, int(rng.gauss(140, 35))))]
        out["quiz_attempts"].append(
            (self.ids.new(8), self.quiz_ids[course][quiz], enrollment_id, student_id, 1, status,
             started, None if status == "in_progress" else submitted,
             submitted if status == "graded" else None,
             pct / 10 if pct is not None else None, Decimal(10) if pct is not None else None,
             pct, pct >= 70 if pct is not None else None, "[]", "{}", False, submitted, 1)
        )  # fmt: skip

    def _payment(
        self,
        out: dict[str, list[tuple[Any, ...]]],
        student_id: uuid.UUID,
        course: int,
        enrollment_id: uuid.UUID,
        price: Decimal,
        paid_at: datetime,
    ) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.9:
            status, refunded = "succeeded", Decimal("0.00")
        elif roll < 0.95:
            status, refunded = "refunded", price
        elif roll < 0.97:
            status, refunded = "succeeded", (price / 2).quantize(Decimal("0.01"))
        else:
            status, refunded = "failed", Decimal("0.00")
        out["payments"].append(
            (self.ids.new(10), rng.choice(PROVIDERS), student_id, self.course_ids[course],
             enrollment_id, "one_time", price, "EGP", status, refunded, Decimal("0.00"), price,
             paid_at, paid_at, paid_at if status != "failed" else None)
        )  # fmt: skip


COLUMNS = {
    "users": ("id", "email", "password_hash", "full_name", "role", "is_active", "mfa_enabled",
              "created_at", "updated_at", "last_login_at"),
    "courses": ("id", "title", "slug", "instructor_id", "is_published", "published_at", "price",
                "currency", "created_at", "updated_at"),
    "lessons": ("id", "course_id", "title", "slug", "lesson_type", "order_index", "is_preview",
                "created_at", "updated_at"),
    "quizzes": ("id", "course_id", "title", "quiz_type", "passing_score", "shuffle_questions",
                "shuffle_options", "show_correct_answers", "is_published", "created_at",
                "updated_at"),
    "enrollments": ("id", "student_id", "course_id", "enrolled_at", "status",
                    "progress_percentage", "completed_lessons_count", "total_lessons_count",
                    "total_time_spent_seconds", "started_at", "completed_at", "last_accessed_at",
                    "rating"),
    "lesson_progress": ("id", "enrollment_id", "lesson_id", "status", "time_spent_seconds",
                        "last_position_seconds", "completion_percentage", "attempts_count",
                        "started_at", "completed_at", "updated_at"),
    "quiz_attempts": ("id", "quiz_id", "enrollment_id", "student_id", "attempt_number", "status",
                      "started_at", "submitted_at", "graded_at", "score", "max_score",
                      "percentage", "is_passed", "question_order", "option_order",
                      "closed_at_deadline", "updated_at", "version_id"),
    "payments": ("id", "provider", "user_id", "course_id", "enrollment_id", "payment_type",
                 "amount", "currency", "status", "refunded_amount", "tax_amount", "total_amount",
                 "created_at", "updated_at", "processed_at"),
    "certificates": ("id", "enrollment_id", "student_id", "course_id", "certificate_number",
                     "storage_provider", "completion_date", "issued_at", "is_revoked"),
}  # fmt: skip


async def _copy(
    conn: asyncpg.Connection, table: str, rows: Sequence[tuple[Any, ...]], counts: Counts
) -> None:
    if rows:
        await conn.copy_records_to_table(table, records=rows, columns=list(COLUMNS[table]))
        counts.add(table, len(rows))


async def seed(
    dsn: str,
    scale: Scale,
    *,
    seed_value: int = 7,
    log: Callable[[str], None] = print,
) -> Counts:
    """Fill the (migrated, empty) database at ``dsn``; returns the rows written."""
    scale.check()
    started = time.perf_counter()
    gen = Generator(scale, now=datetime.now(UTC), seed=seed_value)
    counts = Counts()
    conn = await asyncpg.connect(dsn)
    try:
        indexes = await _secondary_indexes(conn)
        for name, _definition in indexes:
            await conn.execute(f"DROP INDEX {name}")
        try:
            # Skip the foreign-key triggers while loading (superuser only; else keep them).
            await conn.execute("SET session_replication_role = replica")
        except asyncpg.PostgresError:
            log("not a superuser: foreign keys are checked during the load (slower)")
        await conn.execute("SET synchronous_commit = off")
        await _copy(conn, "users", gen.staff(), counts)
        await _copy(conn, "courses", gen.courses(), counts)
        await _copy(conn, "lessons", gen.lessons(), counts)
        await _copy(conn, "quizzes", gen.quizzes(), counts)
        for first in range(0, scale.students, scale.chunk_students):
            last = min(scale.students, first + scale.chunk_students)
            await _copy(conn, "users", gen.users(first, last), counts)
            chunk = gen.chunk(first, last)
            for table, rows in chunk.items():
                await _copy(conn, table, rows, counts)
            if first // scale.chunk_students % 10 == 0:
                log(
                    f"  students {last:>7}/{scale.students}: "
                    f"{counts.rows.get('lesson_progress', 0):>9} progress rows, "
                    f"{time.perf_counter() - started:6.1f} s"
                )
        await conn.execute("RESET session_replication_role")
        log(f"loaded in {time.perf_counter() - started:.1f} s; rebuilding {len(indexes)} indexes")
        await conn.execute("SET maintenance_work_mem = '512MB'")
        for _name, definition in indexes:
            await conn.execute(definition)
        log(f"indexes rebuilt at {time.perf_counter() - started:.1f} s; vacuum analyze")
        for table in BIG_TABLES:
            await conn.execute(f"VACUUM (ANALYZE) {table}")
        log(f"seeded in {time.perf_counter() - started:.1f} s: {counts.rows}")
    finally:
        await conn.close()
    return counts


def run_seed(
    server_url: str, name: str, scale: Scale, log: Callable[[str], None] = print
) -> Counts:
    """Create, migrate and fill the database ``name``."""
    dsn = asyncio.run(create_database(server_url, name))
    migrate(dsn)
    return asyncio.run(seed(dsn, scale, log=log))
