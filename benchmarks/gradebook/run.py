"""The gradebook of a 10,000-student course with 50 graded items (25 quizzes, 25
assignment lessons): pages of `GET /courses/{id}/gradebook` and the whole gradebook as
CSV, through the application in-process (httpx on the ASGI app), on PostgreSQL.

    LMS_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/lms_bench_gradebook \\
        python -m benchmarks.gradebook.run [--students 10000] [--runs 30]

Seeds the database once with bulk inserts (``benchmarks/gradebook/dataset.py``) unless
it already holds the course; prints the load average before and after, and median and
p95 milliseconds per call. The application runs its lifespan, as `lms serve` does (the
garbage collector tuned once started); access logs are left to `LMS_LOG_LEVEL`."""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from typing import Any

import httpx
from sqlalchemy import select, text

from benchmarks.gradebook.dataset import plan, seed
from lms.core.config import get_settings
from lms.core.migrate import upgrade
from lms.core.security import create_access_token
from lms.main import create_app
from lms.modules.courses.models import Cohort, Course

TITLE = "Gradebook benchmark course"


def figures(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):8.1f} ms   p95 {p95:8.1f} ms"


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


async def timed(client: httpx.AsyncClient, runs: int, *args: Any, **kwargs: Any) -> list[float]:
    samples = []
    for run in range(runs + 3):
        started = time.perf_counter()
        response = await client.get(*args, **kwargs)
        elapsed = (time.perf_counter() - started) * 1000
        assert response.status_code == 200, response.text
        if run >= 3:
            samples.append(elapsed)
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--quizzes", type=int, default=25)
    parser.add_argument("--assignments", type=int, default=25)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    settings = get_settings()
    # As `lms serve` runs it: the garbage collector tuned once started (the lifespan).
    app = create_app(settings, run_jobs=False, tune_gc=True)
    started = time.perf_counter()
    data = plan(args.students, args.quizzes, args.assignments)
    course_id = await seed(app.state.sessionmaker, data, title=TITLE)
    async with app.state.engine.connect() as connection:
        await connection.execute(text("ANALYZE"))
        await connection.commit()
    print(f"dataset ready in {time.perf_counter() - started:.1f} s")
    async with app.state.sessionmaker() as session:
        owner_id = await session.scalar(select(Course.instructor_id).where(Course.id == course_id))
        cohort_id = await session.scalar(
            select(Cohort.id).where(Cohort.course_id == course_id, Cohort.name == "B")
        )
    token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
    headers = {"Authorization": f"Bearer {token}"}
    print(f"load average before: {load()}")
    transport = httpx.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://bench/api/v1") as client,
    ):
        url = f"/courses/{course_id}/gradebook"
        for label, params in (
            ("page 1 (50 rows)", {"page_size": 50}),
            ("page 100 (50 rows)", {"page": 100, "page_size": 50}),
            ("page 1 (100 rows)", {"page_size": 100}),
            ("cohort B, page 10 (50 rows)", {"page": 10, "page_size": 50, "cohort_id": cohort_id}),
        ):
            samples = await timed(client, args.runs, url, headers=headers, params=params)
            print(f"{label:30} {figures(samples)}")
        samples = []
        rows = 0
        for _ in range(5):
            begun = time.perf_counter()
            response = await client.get(url, headers=headers, params={"format": "csv"})
            samples.append((time.perf_counter() - begun) * 1000)
            assert response.status_code == 200
            rows = response.text.count("\n") - 1
        print(f"{'CSV export (' + str(rows) + ' rows)':30} {figures(samples)}")
    print(f"load average after: {load()}")
    await app.state.engine.dispose()


if __name__ == "__main__":
    upgrade(get_settings().database_url)
    asyncio.run(main())
