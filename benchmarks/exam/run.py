"""Exam day, start to finish: for each build, a fresh database seeded with one course, a
timed quiz and its students; the API in production mode (``lms serve``, 2 workers, on
PostgreSQL and Redis, rate limits raised); the open-loop generator driving a scenario;
per-step latency, errors by status, and the CPU each part used.

    python -m benchmarks.exam.run burst takers
    python -m benchmarks.exam.run takers --baseline <git ref>   # that build too, same run

Scenarios:
  burst    2,000 students press "start" within the same second (start only)
  burst-lobby  the same, the students having opened the quiz's page (signed in and
           waiting) at a random moment of the minute before; that step is reported
           as "open"
  steady   2,000 students arrive over 60 s: start, save, save, submit, 5 s think time
  takers   10,000 students arrive over 60 s: the same four steps
  smoke    40 students over 2 s, 0.5 s think time (the test suite's run of the harness)

Reports, per step, p50/p95/p99/max latency (from the moment the step was due, so a
connection wait counts), statuses and connection failures; then CPU milliseconds per
request of the API workers, PostgreSQL and Redis (from /proc, whole run), and the
generator's own CPU in cores, so a saturated generator is visible. Writes
``<out>/<build>.<scenario>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from typing import Any

import uvloop
from benchmarks.exam import generator

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TICK_MS = 1000 / os.sysconf("SC_CLK_TCK")
TAKING = ("start", "save", "save", "submit")
SCENARIOS: dict[str, tuple[int, float, tuple[str, ...], float, float]] = {
    # students, arrival window (s), steps, think time (s), lobby (s)
    "burst": (2_000, 1.0, ("start",), 5.0, 0.0),
    "burst-lobby": (2_000, 1.0, ("start",), 5.0, 60.0),
    "steady": (2_000, 60.0, TAKING, 5.0, 0.0),
    "takers": (10_000, 60.0, TAKING, 5.0, 0.0),
    # A few seconds, for the test suite: the harness still runs end to end.
    "smoke": (40, 2.0, TAKING, 0.5, 1.0),
}


def cpu_ms(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += (int(fields[11]) + int(fields[12])) * TICK_MS
    return total


def _processes() -> list[tuple[int, str, int]]:
    """(pid, name, parent pid) of every process, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                head, tail = (entry / "stat").read_text().rsplit(")", 1)
            except OSError:
                continue
            found.append((int(entry.name), head.split("(", 1)[1], int(tail.split()[1])))
    return found


def pids_named(name: str) -> list[int]:
    return [pid for pid, command, _parent in _processes() if command == name]


def postgres_cpu_ms() -> float:
    """PostgreSQL's CPU so far: its live processes' own, plus what its backends that
    have exited used (the postmaster's children's time)."""
    processes = _processes()
    live = [pid for pid, command, _parent in processes if command == "postgres"]
    postmasters = [
        pid for pid, command, parent in processes if command == "postgres" and parent not in live
    ]
    exited = 0.0
    for pid in postmasters:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        exited += (int(fields[13]) + int(fields[14])) * TICK_MS  # cutime + cstime
    return cpu_ms(live) + exited


def children(pid: int) -> list[int]:
    return [child for child, _command, parent in _processes() if parent == pid]


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def environment(db: str, redis_db: int, secret: str) -> dict[str, str]:
    return {
        "LMS_ENVIRONMENT": "production",
        "LMS_SECRET_KEY": secret,
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:5432/{db}",
        "LMS_REDIS_URL": f"redis://127.0.0.1:6379/{redis_db}",
        "LMS_CELERY_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//",
        "LMS_CELERY_QUEUE": "lms_bench_exam",
        "LMS_ENABLE_DOCS": "false",
        "LMS_EMAIL_BACKEND": "console",
        "LMS_ACCESS_TOKEN_MINUTES": "600",
        "LMS_ATTEMPT_RATE_LIMIT_PER_MINUTE": "100000000",
        # As benchmarks/load sizes it for a 2-core host (README, "Sizing the pools"): a
        # burst waits for a connection instead of crowding PostgreSQL with backends.
        "LMS_DATABASE_POOL_SIZE": "15",
        "LMS_DATABASE_MAX_OVERFLOW": "0",
    }


def prepare_database(python: str, src: Path, db: str, redis_db: int, env: dict[str, str],
                     students: int, manifest: Path) -> None:  # fmt: skip
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    script = (
        "import asyncio, sys, asyncpg\n"
        "async def main():\n"
        "    c = await asyncpg.connect(sys.argv[1])\n"
        f"    await c.execute('DROP DATABASE IF EXISTS {db} WITH (FORCE)')\n"
        f"    await c.execute('CREATE DATABASE {db}')\n"
        "    await c.close()\n"
        "asyncio.run(main())\n"
    )
    subprocess.run([python, "-c", script, admin], check=True)
    run_env = {**os.environ, **env, "PYTHONPATH": str(src)}
    subprocess.run([python, "-c", "from lms.cli import app; app()", "db", "upgrade"],
                   env=run_env, check=True, capture_output=True)  # fmt: skip
    subprocess.run([python, "-m", "benchmarks.exam.seed", "--dsn",
                    f"postgresql://postgres@127.0.0.1:5432/{db}", "--manifest", str(manifest),
                    "--students", str(students)], check=True, cwd=ROOT)  # fmt: skip
    import redis

    redis.Redis(host="127.0.0.1", port=6379, db=redis_db).flushdb()


def tokens_for(students: list[str], secret: str) -> list[str]:
    from lms.core.config import Settings
    from lms.core.security import create_access_token

    settings = Settings(secret_key=secret, access_token_minutes=600)
    return [
        create_access_token(settings, user_id=uuid.UUID(sid), role="student")[0] for sid in students
    ]


def wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if server.poll() is not None:
            raise SystemExit("the API exited at start-up")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the API did not start")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def summary(results: generator.Results) -> dict[str, Any]:
    steps = {}
    for name, values in results.latencies.items():
        steps[name] = {
            "count": len(values),
            "p50_ms": round(statistics.median(values) * 1000, 1),
            "p95_ms": round(percentile(values, 0.95) * 1000, 1),
            "p99_ms": round(percentile(values, 0.99) * 1000, 1),
            "max_ms": round(max(values) * 1000, 1),
            "statuses": dict(sorted(results.statuses[name].items())),
        }
    return {
        "steps": steps,
        "failures": dict(results.failures),
        "late_sends_over_100ms": sum(1 for late in results.lateness if late > 0.1),
    }


def measure(build: str, src: Path, scenario: str, args: argparse.Namespace) -> dict[str, Any]:
    students, window, steps, think, lobby = SCENARIOS[scenario]
    python = sys.executable
    secret = secrets.token_urlsafe(48)
    env = environment(args.db, args.redis_db, secret)
    manifest_path = args.out / f"{build}.{scenario}.manifest.json"
    prepare_database(python, src, args.db, args.redis_db, env, students, manifest_path)
    manifest = json.loads(manifest_path.read_text())
    tokens = tokens_for(manifest["students"], secret)
    server = subprocess.Popen(
        [python, "-c", "from lms.cli import app; app()", "serve", "--host", "127.0.0.1",
         "--port", str(args.port), "--workers", str(args.workers)],
        env={**os.environ, **env, "PYTHONPATH": str(src)}, cwd=ROOT,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        wait_for(args.port, server)
        time.sleep(2)
        api = children(server.pid)
        redis_server = pids_named("redis-server")
        load_before = load_average()
        cpu_before = [cpu_ms(api), postgres_cpu_ms(), cpu_ms(redis_server)]
        plan = generator.Plan(
            arrivals=generator.uniform_arrivals(students, window),
            steps=steps,
            think_seconds=think,
            lobby_seconds=lobby,
        )
        results, wall, generator_cpu = uvloop.run(
            generator.run(
                plan,
                host="127.0.0.1",
                port=args.port,
                connections=args.connections,
                quiz_id=manifest["quiz_id"],
                tokens=tokens,
                answers=manifest["answers"],
            )
        )
        cpu_after = [cpu_ms(api), postgres_cpu_ms(), cpu_ms(redis_server)]
        used = [after - before for after, before in zip(cpu_after, cpu_before, strict=True)]
    finally:
        server.terminate()
        server.wait(timeout=20)
    requests = max(results.requests, 1)
    report = {
        "build": build,
        "scenario": scenario,
        "students": students,
        "arrival_window_s": window,
        "workers": args.workers,
        "connections": args.connections,
        "load_average_before": load_before,
        "wall_s": round(wall, 1),
        "requests": results.requests,
        "api_cpu_ms_per_request": round(used[0] / requests, 3),
        "postgres_cpu_ms_per_request": round(used[1] / requests, 3),
        "redis_cpu_ms_per_request": round(used[2] / requests, 3),
        "api_cores": round(used[0] / 1000 / wall, 2),
        "generator_cores": round(generator_cpu / wall, 2),
        **summary(results),
    }
    (args.out / f"{build}.{scenario}.json").write_text(json.dumps(report, indent=2))
    return report


def show(report: dict[str, Any]) -> None:
    print(f"\n{report['build']} / {report['scenario']}: {report['students']} students over "
          f"{report['arrival_window_s']} s, {report['requests']} requests in {report['wall_s']} s; "
          f"load before {report['load_average_before']}")  # fmt: skip
    print(f"  {'step':8} {'count':>6} {'p50':>8} {'p95':>8} {'p99':>8} {'max':>8}  statuses")
    for name, step in report["steps"].items():
        print(f"  {name:8} {step['count']:6} {step['p50_ms']:8.1f} {step['p95_ms']:8.1f} "
              f"{step['p99_ms']:8.1f} {step['max_ms']:8.1f}  {step['statuses']}")  # fmt: skip
    if report["failures"]:
        print(f"  connection failures: {report['failures']}")
    print(f"  CPU ms/request: API {report['api_cpu_ms_per_request']}, PostgreSQL "
          f"{report['postgres_cpu_ms_per_request']}, Redis {report['redis_cpu_ms_per_request']}; "
          f"API {report['api_cores']} cores, generator {report['generator_cores']} cores; "
          f"steps sent >100 ms late: {report['late_sends_over_100ms']}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("scenarios", nargs="*", default=["burst", "takers"], choices=SCENARIOS)
    parser.add_argument("--baseline", help="a git ref to measure as well, in the same run")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=2_000)
    parser.add_argument("--port", type=int, default=8110)
    parser.add_argument("--db", default="lms_bench_exam")
    parser.add_argument("--redis-db", type=int, default=7)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    builds: list[tuple[str, Path]] = []
    with tempfile.TemporaryDirectory() as scratch:
        if args.baseline:
            tree = Path(scratch) / "baseline"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree),
                            args.baseline], check=True, capture_output=True)  # fmt: skip
            builds.append((f"baseline-{args.baseline}", tree / "src"))
        builds.append(("current", ROOT / "src"))
        try:
            for scenario in args.scenarios:
                for build, src in builds:
                    show(measure(build, src, scenario, args))
        finally:
            if args.baseline:
                subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force",
                                str(Path(scratch) / "baseline")], check=False)  # fmt: skip


if __name__ == "__main__":
    main()
