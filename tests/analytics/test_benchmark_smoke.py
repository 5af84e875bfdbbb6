"""The analytics benchmark (benchmarks/analytics, run by hand at full scale) at a tiny
scale, so that its seeding, timing and EXPLAIN code cannot rot unnoticed."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest
from benchmarks.analytics import run
from sqlalchemy import make_url

from tests.conftest import DATABASE_URL, IS_POSTGRES
from tests.integration.conftest import require

pytestmark = pytest.mark.integration


def test_seed_measure_and_explain_at_tiny_scale(tmp_path: Path) -> None:
    require("PostgreSQL", IS_POSTGRES, "LMS_TEST_DATABASE_URL is not a PostgreSQL URL")
    url = make_url(DATABASE_URL)
    server = f"postgresql://{url.username or 'postgres'}@{url.host}:{url.port or 5432}"
    name = f"lms_bench_smoke_{uuid.uuid4().hex[:10]}"
    plans = tmp_path / "plans.txt"
    try:
        report = run.main(
            [
                "--server", server, "--db", name,
                "--courses", "5", "--students", "40", "--enrollments", "120",
                "--progress-rows", "480", "--quiz-attempts", "50", "--payments", "20",
                "--chunk-students", "15", "--repeat", "2", "--warmup", "1",
                "--explain-out", str(plans),
            ]
        )  # fmt: skip
        counts = asyncio.run(_counts(f"{server}/{name}"))
    finally:
        asyncio.run(_drop(server, name))

    assert counts == {
        "courses": 5,
        "lessons": 20,
        "enrollments": 120,
        "lesson_progress": 480,
        "quiz_attempts": 50,
        "students": 40,
    }
    for endpoint in ("my-dashboard", "my-progress", "courses/{id}", "overview", "system"):
        assert endpoint in report
    assert "| median ms | p95 ms |" in report
    text = plans.read_text()
    assert text.count("Execution Time:") >= 25
    assert "analytics.repository.course_lessons" in text


async def _counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        counts = {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("courses", "lessons", "enrollments", "lesson_progress", "quiz_attempts")
        }
        counts["students"] = int(
            await conn.fetchval("SELECT count(*) FROM users WHERE role = 'student'")
        )
        # Indexes dropped for the load are back.
        indexes = await conn.fetchval(
            "SELECT count(*) FROM pg_indexes WHERE tablename = 'lesson_progress'"
        )
        assert indexes >= 3
        return counts
    finally:
        await conn.close()


async def _drop(server: str, name: str) -> None:
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()
