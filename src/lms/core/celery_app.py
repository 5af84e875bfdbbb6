"""Celery application that delivers the outbox and runs the periodic jobs.

Tasks carry no payload (a drain) or only an outbox message id; the rows are the source
of truth, so a lost or repeated task message changes nothing (delivery locks a row and
skips done ones). A transaction that wrote due rows queues one drain task after it
commits, and with a shared Redis (``LMS_REDIS_URL``) only when none is already waiting:
the API sets a wake-up key in Redis when it sends one, and the drain clears the key
before it looks for due rows, so a row committed while a drain is waiting is found by
that drain and a backlog costs one task, not one per transaction. Beat sweeps the
outbox every few seconds, which also delivers whatever was written while the broker was
down.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Any

import anyio
from celery import Celery
from celery.signals import worker_process_shutdown
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from lms.core import jobs
from lms.core.cache import Store, create_store
from lms.core.config import Settings, get_settings
from lms.core.engine import create_engine
from lms.core.session import create_sessionmaker
from lms.core.tracing import trace_statements

log = logging.getLogger("lms.jobs")

DELIVER_TASK = "lms.outbox.deliver"
DRAIN_TASK = "lms.outbox.drain"
SWEEP_TASK = "lms.outbox.sweep"
PERIODIC_TASK = "lms.periodic.run"
# The Redis key that says a drain task is queued and has not started. It expires, so a
# task lost after the key was set only holds the next ones back this long (and the
# sweep delivers meanwhile).
WAKE_KEY = "lms:outbox:drain-queued"
WAKE_TTL_SECONDS = 10


# The API asks Redis at most once per this many seconds per process: a commit within
# the window after the last ask leaves the wake-up to one call at the window's end.
API_COALESCE_SECONDS = 0.05


def celery_dispatcher(
    celery: Celery, store: Store | None, *, coalesce_seconds: float = 0.0
) -> jobs.Dispatcher:
    """What a process that writes outbox rows calls after a commit: queue a drain task,
    unless ``store`` (Redis, shared with the workers) says one is already queued.

    With ``coalesce_seconds`` (the API's busy write paths), the commits that follow an
    ask within that window do not ask again: one call at the window's end asks for all of
    them, so a row committed just after a drain cleared the key waits at most the window,
    and a request pays no Redis round trip for it."""
    last_asked = float("-inf")
    trailing: asyncio.Task[None] | None = None

    async def wake() -> None:
        if store is not None and not await store.add(WAKE_KEY, "1", WAKE_TTL_SECONDS):
            return
        try:
            await anyio.to_thread.run_sync(lambda: celery.send_task(DRAIN_TASK))
        except Exception:
            if store is not None:
                await store.delete(WAKE_KEY)
            raise

    async def wake_later(delay: float) -> None:
        nonlocal last_asked, trailing
        await asyncio.sleep(delay)
        trailing = None
        last_asked = asyncio.get_running_loop().time()
        try:
            await wake()
        except Exception:  # the sweep delivers it later
            log.warning("outbox dispatch failed; left for the sweep", exc_info=True)

    async def dispatch() -> None:
        nonlocal last_asked, trailing
        if coalesce_seconds <= 0:
            await wake()
            return
        now = asyncio.get_running_loop().time()
        if now - last_asked >= coalesce_seconds:
            last_asked = now
            await wake()
        elif trailing is None:
            trailing = asyncio.create_task(wake_later(last_asked + coalesce_seconds - now))

    return dispatch


async def drain_all(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, store: Store | None
) -> int:
    """A drain task: clear the wake-up key first (a row committed from now on queues a
    new task), then deliver until nothing is due."""
    if store is not None:
        await store.delete(WAKE_KEY)
    delivered = 0
    while count := await jobs.drain(sessionmaker, settings):
        delivered += count
    return delivered


class _WorkerRuntime:
    """One event loop and one engine per worker process, reused by every task."""

    def __init__(self) -> None:
        self.loop: asyncio.AbstractEventLoop | None = None
        self.engine: AsyncEngine | None = None
        self.sessionmaker: async_sessionmaker[AsyncSession] | None = None
        self.settings: Settings | None = None
        self.celery: Celery | None = None
        # Redis shared with the API (None without LMS_REDIS_URL): the wake-up key.
        self.shared_store: Store | None = None

    def run(self, coro_factory: Any) -> Any:
        if self.loop is None:
            self.loop = asyncio.new_event_loop()
            self.settings = get_settings()
            self.engine = create_engine(self.settings)
            if self.settings.opentelemetry:
                trace_statements(self.engine)
            store = create_store(self.settings)
            self.shared_store = store if self.settings.redis_url else None
            self.sessionmaker = create_sessionmaker(
                self.engine, store=store, settings=self.settings
            )
            # A job that queues another (the reset job queues its email) sends it on
            # at once, without waiting for the sweep.
            if self.celery is not None:
                jobs.set_dispatcher(celery_dispatcher(self.celery, self.shared_store))
        return self.loop.run_until_complete(coro_factory(self.sessionmaker, self.settings))

    def close(self) -> None:
        if self.loop is not None and self.engine is not None:
            self.loop.run_until_complete(self.engine.dispose())
            self.loop.close()
            self.loop = None


runtime = _WorkerRuntime()


def create_celery(settings: Settings) -> Celery:
    app = Celery("lms", broker=settings.celery_broker_url or "memory://")
    app.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_serializer="json",
        accept_content=["json"],
        broker_connection_retry_on_startup=True,
        broker_transport_options={"max_retries": 1},
        task_ignore_result=True,
        # Deployments (and test runs) sharing one broker keep to their own queue.
        task_default_queue=settings.celery_queue,
        timezone="UTC",
    )
    schedule: dict[str, dict[str, Any]] = {
        "outbox-sweep": {"task": SWEEP_TASK, "schedule": max(settings.outbox_poll_seconds, 1.0)}
    }
    for name, periodic_job in jobs.periodic_jobs().items():
        schedule[f"periodic-{name}"] = {
            "task": PERIODIC_TASK,
            "schedule": float(periodic_job.every_seconds),
            "args": [name],
        }
    app.conf.beat_schedule = schedule
    runtime.celery = app

    @app.task(name=DELIVER_TASK)
    def deliver_task(message_id: str) -> str:
        result: str = runtime.run(lambda sm, st: jobs.deliver(sm, st, uuid.UUID(message_id)))
        return result

    @app.task(name=DRAIN_TASK)
    def drain_task() -> int:
        count: int = runtime.run(lambda sm, st: drain_all(sm, st, runtime.shared_store))
        return count

    @app.task(name=SWEEP_TASK)
    def sweep_task() -> int:
        count: int = runtime.run(lambda sm, st: jobs.drain(sm, st))
        return count

    @app.task(name=PERIODIC_TASK)
    def periodic_task(name: str) -> None:
        runtime.run(lambda sm, _st: jobs.run_periodic(sm, name))

    return app


@worker_process_shutdown.connect
def _dispose_runtime(**_kwargs: Any) -> None:
    runtime.close()
