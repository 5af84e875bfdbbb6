"""Outbound webhook delivery benchmark (benchmarks/README.md, "Webhooks").

    throughput: N events already in the outbox, each committed in its own transaction
                (as N requests would) and dispatched as the API dispatches; one worker
                delivers them to a loopback receiver; events/s between the first and
                the last receipt.
    latency:    events committed at a steady rate (each a real domain event published in
                its own transaction, as a request would); time from the commit's return
                to the receiver's receipt, p50 / p99 / max.

The worker is the in-process drainer (``--worker inprocess``, the embedded default)
or one ``lms worker`` Celery worker on RabbitMQ (``--worker celery``, production;
``--concurrency`` pool processes, 2 by default as for ``lms worker``), which shares
Redis (``BENCH_REDIS_URL``) with the dispatcher as in production, or not
(``--no-shared-redis``: one drain task per transaction). PostgreSQL only:
``BENCH_DATABASE_URL``.

    python -m benchmarks.webhooks.run throughput --events 5000 --worker inprocess
    python -m benchmarks.webhooks.run latency --rate 100 --seconds 30 --worker celery
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/lms_bench_webhooks"
)
BROKER_URL = os.environ.get("BENCH_BROKER_URL", "amqp://guest:guest@127.0.0.1:5672//")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
QUEUE = f"lms-bench-webhooks-{uuid.uuid4().hex[:8]}"

os.environ.update(
    {
        "LMS_DATABASE_URL": DATABASE_URL,
        "LMS_SECRET_KEY": "benchmark-secret-key-that-is-long-enough-0123456789",
        "LMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "LMS_LOG_LEVEL": "WARNING",
        "LMS_EMAIL_BACKEND": "console",
        "LMS_CELERY_QUEUE": QUEUE,
        "LMS_DATABASE_POOL_SIZE": "10",
    }
)
os.environ.pop("LMS_CELERY_BROKER_URL", None)
os.environ.pop("LMS_REDIS_URL", None)

from sqlalchemy import select, text  # noqa: E402

from lms.core import events, jobs  # noqa: E402
from lms.core.cache import RedisStore  # noqa: E402
from lms.core.celery_app import API_COALESCE_SECONDS, WAKE_KEY, celery_dispatcher  # noqa: E402
from lms.core.config import get_settings  # noqa: E402
from lms.core.engine import create_engine  # noqa: E402
from lms.core.inprocess_worker import InProcessWorker  # noqa: E402
from lms.core.jobs import OutboxMessage  # noqa: E402
from lms.core.migrate import upgrade  # noqa: E402
from lms.core.security import encrypt_secret  # noqa: E402
from lms.core.session import commit, create_sessionmaker  # noqa: E402
from lms.main import load_modules  # noqa: E402
from lms.modules import users, webhooks  # noqa: E402
from lms.modules.webhooks import outbound, signing  # noqa: E402
from lms.modules.webhooks.models import WebhookEndpoint  # noqa: E402


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


def create_database() -> None:
    name = DATABASE_URL.rsplit("/", 1)[1]
    found = subprocess.run(
        [
            "psql",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-tAc",
            f"select 1 from pg_database where datname = '{name}'",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found:
        subprocess.run(
            ["psql", "-h", "127.0.0.1", "-U", "postgres", "-c", f"create database {name}"],
            check=True,
            capture_output=True,
        )


def event(n: int) -> users.UserCreated:
    return users.UserCreated(
        user_id=uuid.uuid4(),
        email=f"bench-{n}@example.com",
        full_name="Bench Person",
        role="student",
        is_active=True,
    )


class Bench:
    def __init__(self, worker: str, tmp: Path, concurrency: int, shared_redis: bool) -> None:
        self.worker = worker
        self.concurrency = concurrency
        self.store = RedisStore(REDIS_URL) if shared_redis else None
        self.tasks_sent = 0
        self.tmp = tmp
        self.settings = get_settings()
        self.engine = create_engine(self.settings)
        self.sessionmaker = create_sessionmaker(self.engine, settings=self.settings)
        self.receipts = tmp / "receipts.txt"
        self.processes: list[subprocess.Popen[bytes]] = []

    async def setup(self) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                text("TRUNCATE webhook_deliveries, webhook_endpoints, outbox_messages")
            )
        secret = signing.new_secret()
        port = free_port()
        self.processes.append(
            subprocess.Popen(  # noqa: ASYNC220 (started once, before the measurement)
                [
                    sys.executable,
                    "-m",
                    "benchmarks.webhooks.receiver",
                    str(port),
                    str(self.receipts),
                    secret,
                ],
                cwd=ROOT,
            )
        )
        async with self.sessionmaker() as session:
            session.add(
                WebhookEndpoint(
                    url=f"http://127.0.0.1:{port}/hooks",
                    event_types=[],
                    enabled=True,
                    secret_encrypted=encrypt_secret(self.settings, secret),
                )
            )
            await commit(session)
        webhooks.forget_subscriptions()
        if self.store is not None:
            await self.store.delete(WAKE_KEY)
        await asyncio.sleep(0.5)  # the receiver starts

    @property
    def label(self) -> str:
        if self.worker != "celery":
            return ""
        shared = "shared Redis" if self.store is not None else "no shared Redis"
        return f" (concurrency {self.concurrency}, {shared}, drain tasks sent {self.tasks_sent})"

    def start_celery_worker(self) -> None:
        env = {
            **os.environ,
            **({"LMS_REDIS_URL": REDIS_URL} if self.store is not None else {}),
            "LMS_CELERY_BROKER_URL": BROKER_URL,
            "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        }
        lms = str(Path(sys.executable).with_name("lms"))
        self.processes.append(
            subprocess.Popen(
                [
                    lms,
                    "worker",
                    "--concurrency",
                    str(self.concurrency),
                    "--no-beat",
                    "--loglevel",
                    "WARNING",
                ],
                env=env,
                cwd=ROOT,
                start_new_session=True,
            )
        )

    def dispatcher(self) -> jobs.Dispatcher:
        """The API's dispatcher (``lms.main``): a drain task after a commit, unless the
        shared Redis says one is queued; counts the tasks it sends."""
        from lms.core.celery_app import create_celery

        celery = create_celery(self.settings.model_copy(update={"celery_broker_url": BROKER_URL}))
        send_task = celery.send_task

        def counted(*args: Any, **kwargs: Any) -> Any:
            self.tasks_sent += 1
            return send_task(*args, **kwargs)

        celery.send_task = counted
        return celery_dispatcher(celery, self.store, coalesce_seconds=API_COALESCE_SECONDS)

    def read_receipts(self) -> dict[str, float]:
        found: dict[str, float] = {}
        if self.receipts.exists():
            for line in self.receipts.read_text().splitlines():
                message_id, at = line.split()
                found.setdefault(message_id, float(at))
        return found

    async def wait_for(self, count: int, within: float) -> dict[str, float]:
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            got = self.read_receipts()
            if len(got) >= count:
                return got
            await asyncio.sleep(0.2)
        return self.read_receipts()

    def close(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.worker == "celery":  # the run's own queue, with any task left in it
            import kombu

            with kombu.Connection(BROKER_URL) as connection:
                kombu.Queue(QUEUE, channel=connection.channel()).delete()


async def commit_events(bench: Bench, count: int) -> None:
    """``count`` events, each published and committed in its own transaction, the
    dispatcher called after each commit (as a request does)."""
    for n in range(count):
        async with bench.sessionmaker() as session:
            await events.publish(session, event(n))
            await commit(session)


async def throughput(bench: Bench, count: int) -> None:
    # Celery: the tasks the API would have queued meanwhile; in-process: drained below.
    jobs.set_dispatcher(bench.dispatcher() if bench.worker == "celery" else None)
    await commit_events(bench, count)
    async with bench.sessionmaker() as session:
        rows = await session.scalar(text("SELECT count(*) FROM outbox_messages"))
    assert rows == count, (rows, count)
    started = time.monotonic()
    if bench.worker == "celery":
        bench.start_celery_worker()
        got = await bench.wait_for(count, 600)
    else:
        while await jobs.drain(bench.sessionmaker, bench.settings, limit=500):
            pass
        got = await bench.wait_for(count, 30)
    wall = time.monotonic() - started
    times = sorted(got.values())
    rate = (len(times) - 1) / (times[-1] - times[0]) if len(times) > 1 else 0.0
    print(
        f"throughput worker={bench.worker}{bench.label} events={count} received={len(got)} "
        f"first-to-last={times[-1] - times[0]:.2f}s rate={rate:.0f}/s "
        f"(wall incl. start-up {wall:.1f}s)"
    )


async def latency(bench: Bench, rate: float, seconds: float) -> None:
    committed: dict[str, float] = {}
    worker: InProcessWorker | None = None
    if bench.worker == "celery":
        bench.start_celery_worker()
        jobs.set_dispatcher(bench.dispatcher())
        await asyncio.sleep(8)  # the worker starts
    else:
        worker = InProcessWorker(bench.sessionmaker, bench.settings)
        jobs.set_dispatcher(worker.notify)
    runner = asyncio.ensure_future(worker.run()) if worker else None
    total = int(rate * seconds)
    interval = 1.0 / rate
    start = time.monotonic()
    for n in range(total):
        due = start + n * interval
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        async with bench.sessionmaker() as session:
            await events.publish(session, event(n))
            await session.commit()
            at = time.time()
            for callback in session.info.pop("after_commit", []):
                await callback()
            # The message this transaction wrote (the newest row), once dispatched.
            payload = await session.scalar(
                select(OutboxMessage.payload).order_by(OutboxMessage.created_at.desc()).limit(1)
            )
            committed[payload["items"][0]["message"]["id"]] = at
    sent_for = time.monotonic() - start
    got = await bench.wait_for(total, 60)
    if runner is not None:
        runner.cancel()
    delays = sorted((got[m] - at) * 1000 for m, at in committed.items() if m in got)
    missing = total - len(delays)
    q = statistics.quantiles(delays, n=100)
    print(
        f"latency worker={bench.worker}{bench.label} rate={rate:.0f}/s for {sent_for:.1f}s "
        f"events={total} "
        f"received={len(delays)} missing={missing} commit-to-receipt ms: "
        f"p50={q[49]:.1f} p90={q[89]:.1f} p99={q[98]:.1f} max={delays[-1]:.1f}"
    )


async def main(args: argparse.Namespace, tmp: Path) -> None:
    load_modules()
    bench = Bench(args.worker, tmp, args.concurrency, not args.no_shared_redis)
    try:
        await bench.setup()
        if args.mode == "throughput":
            await throughput(bench, args.events)
        else:
            await latency(bench, args.rate, args.seconds)
    finally:
        bench.close()
        await outbound.close_sessions()
        await bench.engine.dispose()
        if bench.store is not None:
            await bench.store.close()


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["throughput", "latency"])
    parser.add_argument("--worker", choices=["inprocess", "celery"], default="inprocess")
    parser.add_argument(
        "--concurrency", type=int, default=2, help="pool processes of the Celery worker"
    )
    parser.add_argument(
        "--no-shared-redis",
        action="store_true",
        help="the Celery dispatcher and worker without Redis: one drain task per commit",
    )
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    return parser.parse_args()


if __name__ == "__main__":
    parsed = arguments()
    create_database()
    upgrade(DATABASE_URL)
    workdir = Path(f"/tmp/lms-bench-webhooks-{uuid.uuid4().hex[:8]}")
    workdir.mkdir()
    asyncio.run(main(parsed, workdir))
    with os.popen("uptime") as up:
        print("uptime:", up.read().strip())
