"""Analytics at scale: seed PostgreSQL, then time every analytics endpoint uncached.

    python -m benchmarks.analytics.run                      # seed (minutes) + measure
    python -m benchmarks.analytics.run --skip-seed          # measure an already seeded DB

Each endpoint's service function is called the way its route calls it (access check
included) with ``fresh=True``, so the cache never answers; every call gets its own
session, like a request. After a few warm-up calls, ``--repeat`` calls are timed and
the median and p95 reported against the targets (course and student endpoints < 50 ms,
system overview < 500 ms). Then every SQL statement one call issues is run again under
``EXPLAIN (ANALYZE, BUFFERS)`` and the plans are written to ``--explain-out``.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import math
import os
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from benchmarks.analytics.seed import Scale, migrate, run_seed
from lms.core.cache import Cache, MemoryStore
from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.engine import create_engine
from lms.core.security import AccessClaims
from lms.core.session import create_sessionmaker
from lms.main import load_modules
from lms.modules.analytics import repository, service
from lms.modules.analytics.schemas import TrendQuery

SERVER_URL = "postgresql://postgres@127.0.0.1:5432"
DEFAULT_DB = "lms_bench_analytics"
HERE = Path(__file__).parent
SETTING = "(a setting for the rest of the transaction: run again, not explained)"


@dataclass
class Scenario:
    name: str
    target_ms: float
    call: Callable[[AsyncSession, int], Awaitable[Any]]


@dataclass
class Result:
    name: str
    target_ms: float
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def verdict(self) -> str:
        return "met" if self.p95 < self.target_ms else "MISSED"


def principal(user_id: uuid.UUID, role: str) -> Principal:
    now = datetime.now(UTC)
    claims = AccessClaims(
        user_id=user_id, role=role, jti="bench", issued_at=now, expires_at=now + timedelta(hours=1)
    )
    return Principal(id=user_id, role=role, claims=claims)


async def _subjects(engine: AsyncEngine) -> dict[str, list[Any]]:
    """Who and what to ask about: students, the median-sized courses, the largest
    course, instructors and the admin (chosen once, not timed)."""
    async with engine.connect() as conn:
        courses = (
            await conn.execute(
                text(
                    "SELECT course_id, count(*) AS n FROM enrollments "
                    "GROUP BY course_id ORDER BY n, course_id"
                )
            )
        ).all()
        students = (
            await conn.execute(
                text(
                    "SELECT id FROM users WHERE role = 'student' AND is_active "
                    "ORDER BY md5(id::text) LIMIT 50"
                )
            )
        ).scalars()
        student_ids = list(students)
        instructors = list(
            (
                await conn.execute(
                    text("SELECT id FROM users WHERE role = 'instructor' ORDER BY id LIMIT 10")
                )
            ).scalars()
        )
        admin = (await conn.execute(text("SELECT id FROM users WHERE role = 'admin'"))).scalar()
    middle = len(courses) // 2
    typical = courses[max(0, middle - 5) : middle + 5]
    return {
        "students": student_ids,
        "typical_courses": [(row[0], int(row[1])) for row in typical],
        "largest_course": [(courses[-1][0], int(courses[-1][1]))],
        "instructors": instructors,
        "admin": [admin],
    }


def scenarios(subjects: dict[str, list[Any]], settings: Settings) -> list[Scenario]:
    cache = Cache(MemoryStore(), settings.analytics_cache_seconds)
    admin = principal(subjects["admin"][0], "admin")
    common: dict[str, Any] = {"cache": cache, "settings": settings, "fresh": True}

    def student(i: int) -> Principal:
        ids = subjects["students"]
        return principal(ids[i % len(ids)], "student")

    def course(key: str, i: int) -> uuid.UUID:
        rows = subjects[key]
        course_id: uuid.UUID = rows[i % len(rows)][0]
        return course_id

    def instructor(i: int) -> uuid.UUID:
        ids = subjects["instructors"]
        instructor_id: uuid.UUID = ids[i % len(ids)]
        return instructor_id

    today = datetime.now(UTC).date()
    longest_window = TrendQuery(
        date_from=today - timedelta(days=service.MAX_WINDOW_DAYS - 1), date_to=today, interval="day"
    )
    longest = f"{service.MAX_WINDOW_DAYS} days by day"
    typical_sizes = [n for _, n in subjects["typical_courses"]]
    largest = subjects["largest_course"][0][1]
    return [
        Scenario(
            "GET /analytics/my-dashboard (student)",
            50,
            lambda s, i: service.student_dashboard(s, principal=student(i), **common),
        ),
        Scenario(
            "GET /analytics/my-progress (student)",
            50,
            lambda s, i: service.student_progress(s, principal=student(i), **common),
        ),
        Scenario(
            f"GET /analytics/courses/{{id}} (median-sized courses, {min(typical_sizes)}-"
            f"{max(typical_sizes)} enrollments)",
            50,
            lambda s, i: service.course_analytics(
                s,
                principal=admin,
                course_id=course("typical_courses", i),
                query=TrendQuery(),
                **common,
            ),
        ),
        Scenario(
            f"GET /analytics/courses/{{id}} (largest course, {largest} enrollments)",
            50,
            lambda s, i: service.course_analytics(
                s,
                principal=admin,
                course_id=course("largest_course", i),
                query=TrendQuery(),
                **common,
            ),
        ),
        Scenario(
            "GET /analytics/instructors/{id}/overview (10 courses)",
            500,
            lambda s, i: service.instructor_overview(
                s, principal=admin, instructor_id=instructor(i), **common
            ),
        ),
        Scenario(
            f"GET /analytics/courses/{{id}} (largest course, longest window: {longest})",
            50,
            lambda s, i: service.course_analytics(
                s,
                principal=admin,
                course_id=course("largest_course", i),
                query=longest_window,
                **common,
            ),
        ),
        Scenario(
            "GET /analytics/system/overview (default: 365 days by month)",
            500,
            lambda s, i: service.system_overview(s, principal=admin, query=TrendQuery(), **common),
        ),
        Scenario(
            f"GET /analytics/system/overview (longest window: {longest})",
            500,
            lambda s, i: service.system_overview(
                s, principal=admin, query=longest_window, **common
            ),
        ),
    ]


async def measure(
    engine: AsyncEngine, plan: list[Scenario], *, repeat: int, warmup: int
) -> list[Result]:
    sessions = create_sessionmaker(engine)
    results = []
    for scenario in plan:
        result = Result(scenario.name, scenario.target_ms)
        for i in range(warmup + repeat):
            async with sessions() as session:
                started = time.perf_counter()
                await scenario.call(session, i)
                elapsed = (time.perf_counter() - started) * 1000
            if i >= warmup:
                result.samples.append(elapsed)
        results.append(result)
    return results


class _Labels:
    """Names the analytics repository function running now, so that each captured
    statement can be attributed (calls are sequential, so one slot is enough)."""

    current = "lookup (access check)"

    @classmethod
    def wrap(cls, function: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def labelled(*args: Any, **kwargs: Any) -> Any:
            cls.current = f"analytics.repository.{function.__name__}"
            try:
                return await function(*args, **kwargs)
            finally:
                cls.current = "lookup (access check)"

        return labelled

    @classmethod
    def install(cls) -> Callable[[], None]:
        originals = {
            name: value
            for name, value in vars(repository).items()
            if inspect.iscoroutinefunction(value) and not name.startswith("_")
        }
        for name, value in originals.items():
            setattr(repository, name, cls.wrap(value))

        def restore() -> None:
            for name, value in originals.items():
                setattr(repository, name, value)

        return restore


async def explain(engine: AsyncEngine, plan: list[Scenario]) -> list[tuple[str, str, str, str]]:
    """Every statement one call of each scenario issues, with its EXPLAIN ANALYZE plan:
    (scenario, repository function, SQL, plan)."""
    captured: list[tuple[str, str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        captured.append((_Labels.current, statement, parameters))

    sessions = create_sessionmaker(engine)
    found: list[tuple[str, str, str, str]] = []
    for scenario in plan:
        captured.clear()
        event.listen(engine.sync_engine, "before_cursor_execute", capture)
        restore = _Labels.install()
        try:
            async with sessions() as session:
                await scenario.call(session, 0)
        finally:
            restore()
            event.remove(engine.sync_engine, "before_cursor_execute", capture)
        statements = list(captured)
        async with engine.connect() as conn:
            raw = (await conn.get_raw_connection()).driver_connection
            assert raw is not None
            # One transaction per scenario, like the call: a setting the call makes
            # (``SET LOCAL``) is made again, not explained, and applies to the rest.
            async with raw.transaction():
                for caller, statement, parameters in statements:
                    if statement.lstrip().upper().startswith("SET "):
                        await raw.execute(statement)
                        found.append((scenario.name, caller, statement, SETTING))
                        continue
                    rows = await raw.fetch(
                        f"EXPLAIN (ANALYZE, BUFFERS) {statement}", *(parameters or ())
                    )
                    plan_text = "\n".join(r[0] for r in rows)
                    found.append((scenario.name, caller, statement, plan_text))
    return found


def _table(results: list[Result], repeat: int) -> str:
    lines = [
        f"| endpoint (service call, uncached, {repeat} runs) | median ms | p95 ms | target ms | |",
        "|---|---:|---:|---:|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.name} | {r.median:.1f} | {r.p95:.1f} | < {r.target_ms:.0f} | {r.verdict} |"
        )
    return "\n".join(lines)


def _execution_time(plan_text: str) -> str:
    if plan_text == SETTING:
        return "(setting)"
    for line in plan_text.splitlines():
        if line.startswith("Execution Time:"):
            return line.split(":", 1)[1].strip()
    return "?"


def _explain_report(plans: list[tuple[str, str, str, str]]) -> str:
    parts = []
    for scenario, caller, statement, plan_text in plans:
        parts.append(f"=== {scenario}\n--- {caller}\n{statement}\n\n{plan_text}\n")
    return "\n".join(parts)


def _explain_summary(plans: list[tuple[str, str, str, str]]) -> str:
    lines = ["| endpoint | statement (repository function) | execution time |", "|---|---|---:|"]
    for scenario, caller, _statement, plan_text in plans:
        lines.append(f"| {scenario} | `{caller}` | {_execution_time(plan_text)} |")
    return "\n".join(lines)


async def _run(url: str, *, repeat: int, warmup: int, explain_out: Path | None) -> str:
    settings = Settings(
        database_url=url,
        secret_key="benchmark-secret-key-that-is-long-enough-0123456789",
        environment="development",
    )
    engine = create_engine(settings)
    try:
        subjects = await _subjects(engine)
        plan = scenarios(subjects, settings)
        async with engine.connect() as conn:
            server = (await conn.execute(text("SHOW server_version"))).scalar()
            buffers = (await conn.execute(text("SHOW shared_buffers"))).scalar()
        load_before = os.getloadavg()[0]
        results = await measure(engine, plan, repeat=repeat, warmup=warmup)
        load_after = os.getloadavg()[0]
        report = [
            f"PostgreSQL {server}, shared_buffers {buffers}, {os.cpu_count()} CPUs; "
            f"1-minute load average {load_before:.2f} before, {load_after:.2f} after",
            "",
            _table(results, repeat),
        ]
        if explain_out is not None:
            plans = await explain(engine, plan)
            await asyncio.to_thread(explain_out.write_text, _explain_report(plans))
            report += ["", _explain_summary(plans), "", f"(plans written to {explain_out})"]
        return "\n".join(report)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--server", default=SERVER_URL, help="PostgreSQL server URL")
    parser.add_argument("--db", default=DEFAULT_DB, help="database to (re)create and use")
    parser.add_argument("--skip-seed", action="store_true", help="reuse the seeded database")
    defaults = Scale()
    for name in ("courses", "students", "enrollments", "progress_rows", "quiz_attempts",
                 "payments", "chunk_students"):  # fmt: skip
        parser.add_argument(
            f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name)
        )
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--explain-out", default=str(HERE / "plans.txt"), help="'' to skip the plans"
    )
    args = parser.parse_args(argv)
    scale = Scale(
        courses=args.courses,
        students=args.students,
        enrollments=args.enrollments,
        progress_rows=args.progress_rows,
        quiz_attempts=args.quiz_attempts,
        payments=args.payments,
        chunk_students=args.chunk_students,
    )
    load_modules()
    dsn = f"{args.server}/{args.db}"
    if args.skip_seed:
        migrate(dsn)  # brings an older seeded database to the current schema (indexes)
    else:
        started = time.perf_counter()
        run_seed(args.server, args.db, scale)
        print(f"seed + migrations: {time.perf_counter() - started:.0f} s")
    explain_out = Path(args.explain_out) if args.explain_out else None
    report = asyncio.run(
        _run(
            dsn.replace("postgresql://", "postgresql+asyncpg://", 1),
            repeat=args.repeat,
            warmup=args.warmup,
            explain_out=explain_out,
        )
    )
    print(report)
    return report


if __name__ == "__main__":
    main()
