"""A roster import of new accounts into one course, run by one real `lms worker`
(Celery, concurrency 1, on RabbitMQ) on PostgreSQL: the time from the upload's 202 to
the job's `succeeded`, and how much the worker's pool process grew in memory.

    LMS_DATABASE_URL=postgresql+asyncpg://postgres@127.0.0.1:5432/lms_bench_imports \\
        python -m benchmarks.imports.run [--rows 100000] [--chunk-rows 1000] [--twice]

Seeds an owner and a course (two lessons, cohorts A and B) of its own per run, writes a
file of ``--rows`` new accounts (UTF-8 with a BOM, CRLF, Arabic and Latin names, a
third in each cohort, a third in none, an external id each), uploads it through the
application in-process (httpx on the ASGI app) and sends the job's outbox message to a
worker it started on a queue of its own. Polls `GET /api/v1/jobs/{id}` every 0.25 s.
Memory: the pool process's resident size just before the upload, and its peak
(`VmHWM`) once the job is done. Prints the load average before and after: the machine
is shared. The worker is stopped afterwards (the invitations and enrollment emails the
import queued are left in the outbox)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select, text

from benchmarks.staffed_course import add_owner_and_course
from lms.core.celery_app import DELIVER_TASK, create_celery
from lms.core.config import Settings, get_settings
from lms.core.jobs import OutboxMessage
from lms.core.migrate import upgrade
from lms.core.security import create_access_token
from lms.main import create_app
from lms.modules.enrollments.models import Enrollment

ROOT = Path(__file__).resolve().parents[2]
NAMES = ("أمل الشريف", "ليلى حسن", "Omar Ali", "Zaid Noor", "Chen Wei", "María López")


def roster_file(path: Path, rows: int, run: str) -> None:
    """``rows`` new accounts, each a student of the course."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        out.write("email,full_name,role,cohort,external_id\r\n")
        for index in range(rows):
            cohort = ("A", "B", "")[index % 3]
            name = f"{NAMES[index % len(NAMES)]} {index}"
            out.write(f'b{run}-{index}@example.com,"{name}",student,{cohort},X{run}-{index}\r\n')


async def seed(app: Any, run: str) -> tuple[uuid.UUID, uuid.UUID]:
    """An owner and a course of this run; (course id, owner id)."""
    async with app.state.sessionmaker() as session:
        owner, course, _ = await add_owner_and_course(
            session,
            owner_email=f"imports-owner-{run}@example.com",
            title=f"Imports benchmark {run}",
            slug=f"imports-benchmark-{run}",
            cohorts=("A", "B"),
        )
        await session.commit()
        return course.id, owner.id


def status_kb(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of the process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def backends_cpu(app: Any) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend serving this database (the server
    runs on this machine)."""
    async with app.state.engine.connect() as connection:
        pids = (
            await connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            )
        ).scalars()
        found = {}
        for pid in pids:
            with contextlib.suppress(OSError):
                found[int(pid)] = cpu_seconds(int(pid))
        return found


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        found += [int(child) for child in text]
    return found


def start_worker(settings: Settings, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    lms = str(Path(sys.executable).with_name("lms"))
    environment = {**os.environ, "PYTHONPATH": str(ROOT / "src"), **env}
    with log.open("ab") as out:
        return subprocess.Popen(
            [lms, "worker", "--concurrency", "1", "--no-beat", "--loglevel", "INFO"],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_worker(process: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--chunk-rows", type=int, default=1000)
    parser.add_argument(
        "--twice", action="store_true", help="then import the same file again (all unchanged)"
    )
    parser.add_argument(
        "--broker",
        default=os.environ.get("LMS_CELERY_BROKER_URL", "amqp://guest:guest@127.0.0.1//"),
    )
    return parser.parse_args()


def configure(args: argparse.Namespace, run: str, work: Path) -> dict[str, str]:
    """The settings of the application and the worker (the same database and files)."""
    env = {
        "LMS_CELERY_BROKER_URL": args.broker,
        "LMS_CELERY_QUEUE": f"lms-bench-imports-{run}",
        "LMS_UPLOAD_DIR": str(work / "uploads"),
        "LMS_EMAIL_BACKEND": "file",
        "LMS_EMAIL_FILE_DIR": str(work / "mail"),
        "LMS_IMPORT_CHUNK_ROWS": str(args.chunk_rows),
        "LMS_IMPORT_MAX_MB": "50",
    }
    os.environ.update(env)
    get_settings.cache_clear()
    return env


def log_text(log: Path) -> str:
    return log.read_text(errors="replace") if log.exists() else ""


async def wait_ready(worker: subprocess.Popen[bytes], log: Path, seen: int = 0) -> None:
    """Until the worker's log says ``ready.`` (after ``seen`` such lines)."""
    deadline = time.monotonic() + 60
    while log_text(log).count("ready.") <= seen:
        if time.monotonic() > deadline or worker.poll() is not None:
            raise RuntimeError(log_text(log)[-2000:])
        await asyncio.sleep(0.2)


async def run_job(
    app: Any,
    settings: Settings,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    job: dict[str, Any],
    worker: subprocess.Popen[bytes],
    log: Path,
) -> dict[str, Any]:
    """Send the import's outbox message to the worker, then poll ``GET /jobs/{id}``
    every 0.25 s until the job ends; its last state."""
    async with app.state.sessionmaker() as session:
        message_id = await session.scalar(
            select(OutboxMessage.id).where(
                OutboxMessage.task == "imports.run",
                OutboxMessage.payload["job_id"].as_string() == job["id"],
            )
        )
    celery = create_celery(settings)
    await asyncio.to_thread(celery.send_task, DELIVER_TASK, args=[str(message_id)])
    while True:
        state: dict[str, Any] = (await client.get(f"/jobs/{job['id']}", headers=headers)).json()
        if state["state"] in ("succeeded", "failed"):
            return state
        if worker.poll() is not None:
            raise RuntimeError(log_text(log)[-2000:])
        await asyncio.sleep(0.25)


async def import_again(
    app: Any,
    settings: Settings,
    env: dict[str, str],
    log: Path,
    course_id: uuid.UUID,
    owner_id: uuid.UUID,
    path: Path,
) -> None:
    """The same file imported again by a fresh worker (the queue emptied of the first
    run's drain tasks first): every row unchanged, nothing written."""
    from kombu import Connection

    with Connection(env["LMS_CELERY_BROKER_URL"]) as connection:
        connection.default_channel.queue_purge(env["LMS_CELERY_QUEUE"])
    worker = start_worker(settings, env, log)
    try:
        await wait_ready(worker, log, seen=1)
        token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench/api/v1", timeout=120
        ) as client:
            response = await client.post(
                f"/courses/{course_id}/roster/imports",
                headers={**headers, "Content-Type": "text/csv"},
                content=await asyncio.to_thread(path.read_bytes),
            )
            assert response.status_code == 202, response.text
            sent = time.perf_counter()
            state = await run_job(app, settings, client, headers, response.json(), worker, log)
            elapsed = time.perf_counter() - sent
    finally:
        stop_worker(worker)
    print(
        f"the same file again: {state['state']} in {elapsed:.1f} s; created {state['created']}, "
        f"updated {state['updated']}, unchanged {state['unchanged']}, failed {state['failed']}"
    )


async def main(args: argparse.Namespace, run: str, work: Path, env: dict[str, str]) -> None:
    settings = get_settings()
    app = create_app(settings, run_jobs=False)
    course_id, owner_id = await seed(app, run)
    path = work / "roster.csv"
    roster_file(path, args.rows, run)
    print(f"file: {args.rows} rows, {path.stat().st_size / 1e6:.1f} MB; chunk {args.chunk_rows}")

    log = work / "worker.log"
    worker = start_worker(settings, env, log)
    try:
        await wait_ready(worker, log)
        pool = children(worker.pid)
        assert len(pool) == 1, pool
        child = pool[0]
        rss_before = status_kb(child, "VmRSS")
        cpu_before = cpu_seconds(child)
        database_before = await backends_cpu(app)
        load_before = os.getloadavg()

        token, _ = create_access_token(settings, user_id=owner_id, role="instructor")
        headers = {"Authorization": f"Bearer {token}"}
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench/api/v1", timeout=120
        ) as client:
            started = time.perf_counter()
            response = await client.post(
                f"/courses/{course_id}/roster/imports",
                headers={**headers, "Content-Type": "text/csv"},
                content=path.read_bytes(),
            )
            assert response.status_code == 202, response.text
            uploaded = time.perf_counter() - started
            sent = time.perf_counter()
            state = await run_job(app, settings, client, headers, response.json(), worker, log)
            done = time.perf_counter()
        peak = status_kb(child, "VmHWM")
        cpu = cpu_seconds(child) - cpu_before
        database_after = await backends_cpu(app)
        database_cpu = sum(
            used - database_before.get(pid, 0.0) for pid, used in database_after.items()
        )
        load_after = os.getloadavg()
    finally:
        stop_worker(worker)
    async with app.state.sessionmaker() as session:
        enrolled = await session.scalar(
            select(func.count(Enrollment.id)).where(Enrollment.course_id == course_id)
        )
    await app.state.engine.dispose()
    assert state["state"] == "succeeded", state
    print(
        f"job: {state['state']}, processed {state['processed']}/{state['total']}, "
        f"created {state['created']}, updated {state['updated']}, "
        f"unchanged {state['unchanged']}, failed {state['failed']}; {enrolled} enrollments"
    )
    print(f"upload (202): {uploaded:.1f} s")
    print(
        f"import: {done - sent:.1f} s from the task's sending to `succeeded` seen "
        f"({args.rows / (done - sent):.0f} rows/s)"
    )
    print(f"worker pool process CPU during the import: {cpu:.1f} s")
    print(f"PostgreSQL CPU of this database's backends during the import: {database_cpu:.1f} s")
    print(
        f"worker pool process: {rss_before / 1024:.0f} MB before, peak {peak / 1024:.0f} MB, "
        f"growth {(peak - rss_before) / 1024:.0f} MB"
    )
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*load_before))
    print("load average after:  {:.2f} {:.2f} {:.2f}".format(*load_after))
    if args.twice:
        app = create_app(settings, run_jobs=False)
        await import_again(app, settings, env, log, course_id, owner_id, path)
        await app.state.engine.dispose()


if __name__ == "__main__":
    arguments_ = arguments()
    run_ = uuid.uuid4().hex[:8]
    work_ = Path(tempfile.mkdtemp(prefix="lms-bench-imports-"))
    env_ = configure(arguments_, run_, work_)
    upgrade(get_settings().database_url)
    asyncio.run(main(arguments_, run_, work_, env_))
