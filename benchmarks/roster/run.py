"""The roster of a 10,000-student course: a page of `GET /courses/{id}/students` (several
sorts and filters) and the whole roster as CSV, through the application in-process
(httpx on the ASGI app), on PostgreSQL.

    LMS_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/lms_bench_roster \\
        python -m benchmarks.roster.run [--students 10000] [--runs 30]

Seeds the database once (a course with two lessons, three cohorts, a quiz, the students
with their enrollments and one handed-in attempt each) unless it already holds the
course; prints median and p95 milliseconds per call."""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import insert, select, text

from benchmarks.staffed_course import add_owner_and_course
from lms.core.config import get_settings
from lms.core.db import utcnow
from lms.core.migrate import upgrade
from lms.core.security import create_access_token
from lms.main import create_app
from lms.modules.courses.models import Course
from lms.modules.enrollments.models import Enrollment
from lms.modules.quizzes.models import Quiz, QuizAttempt
from lms.modules.users.models import User

TITLE = "Roster benchmark course"


async def seed(app: Any, students: int) -> uuid.UUID:
    async with app.state.sessionmaker() as session:
        found = await session.scalar(select(Course.id).where(Course.title == TITLE))
        if found is not None:
            return found
        now = utcnow()
        _, course, cohorts = await add_owner_and_course(
            session,
            owner_email="roster-owner@example.com",
            title=TITLE,
            slug="roster-benchmark-course",
            cohorts=("A", "B", "C"),
        )
        quiz = Quiz(course_id=course.id, title="Q", is_published=True)
        session.add(quiz)
        await session.flush()
        batch = 2000
        for start in range(0, students, batch):
            user_rows, enrollment_rows, attempt_rows = [], [], []
            for i in range(start, min(start + batch, students)):
                user_id = uuid.uuid4()
                user_rows.append(
                    {
                        "id": user_id,
                        "email": f"r{i}@example.com",
                        "password_hash": None,
                        "full_name": f"Student {i:05d}",
                        "role": "student",
                        "is_active": True,
                        "mfa_enabled": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                enrollment_id = uuid.uuid4()
                enrollment_rows.append(
                    {
                        "id": enrollment_id,
                        "student_id": user_id,
                        "course_id": course.id,
                        "cohort_id": cohorts[i % 3].id,
                        "status": "active",
                        "enrolled_at": now - timedelta(minutes=i),
                        "progress_percentage": Decimal(i % 101),
                        "completed_lessons_count": i % 3,
                        "total_lessons_count": 2,
                        "total_time_spent_seconds": i,
                        "last_accessed_at": now - timedelta(seconds=i),
                    }
                )
                attempt_rows.append(
                    {
                        "id": uuid.uuid4(),
                        "quiz_id": quiz.id,
                        "student_id": user_id,
                        "enrollment_id": enrollment_id,
                        "attempt_number": 1,
                        "status": "graded",
                        "started_at": now,
                        "submitted_at": now,
                        "percentage": Decimal(i % 100),
                    }
                )
            await session.execute(insert(User), user_rows)
            await session.execute(insert(Enrollment), enrollment_rows)
            await session.execute(insert(QuizAttempt), attempt_rows)
        await session.commit()
    async with app.state.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    return course.id


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings = get_settings()
    app = create_app(settings, run_jobs=False)
    course_id = await seed(app, args.students)
    async with app.state.sessionmaker() as session:
        owner_id = await session.scalar(select(Course.instructor_id).where(Course.id == course_id))
    token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
    headers = {"Authorization": f"Bearer {token}"}
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1") as client:
        url = f"/courses/{course_id}/students"
        for label, params in (
            ("page 1, by name", {"page_size": 50}),
            ("page 100, by name", {"page": 100, "page_size": 50}),
            ("page 1, by -progress", {"page_size": 50, "sort": "-progress"}),
            ("page 1, by -quiz_average", {"page_size": 50, "sort": "-quiz_average"}),
            ("search 'Student 0999'", {"page_size": 50, "search": "Student 0999"}),
            ("status=active, page 50", {"page": 50, "page_size": 50, "status": "active"}),
        ):
            samples = []
            for run in range(args.runs + 3):
                started = time.perf_counter()
                response = await client.get(url, headers=headers, params=params)
                elapsed = (time.perf_counter() - started) * 1000
                assert response.status_code == 200, response.text
                if run >= 3:
                    samples.append(elapsed)
            print(f"{label:28} {figures(samples)}")
        samples = []
        for _ in range(5):
            started = time.perf_counter()
            response = await client.get(url, headers=headers, params={"format": "csv"})
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
        rows = response.text.count("\n") - 1
        print(f"{'CSV export (' + str(rows) + ' rows)':28} {figures(samples)}")
    await app.state.engine.dispose()


if __name__ == "__main__":
    upgrade(get_settings().database_url)
    asyncio.run(main())
