"""The outbox drainer and periodic scheduler of the embedded mode: inside the API
process, woken after a commit that wrote due rows (``jobs.set_dispatcher(notify)``),
polling every ``LMS_OUTBOX_POLL_SECONDS`` otherwise. Production runs Celery workers
instead (``lms.core.celery_app``)."""

from __future__ import annotations

import asyncio
import logging

import anyio
import anyio.abc
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lms.core import jobs
from lms.core.config import Settings

log = logging.getLogger("lms.jobs")


class InProcessWorker:
    """Drains the outbox and runs periodic jobs inside the API process (embedded mode)."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self.sessionmaker = sessionmaker
        self.settings = settings
        self._wake = asyncio.Event()
        self._task_group: anyio.abc.TaskGroup | None = None

    async def notify(self) -> None:
        self._wake.set()

    async def _drain_forever(self) -> None:
        while True:
            try:
                while await jobs.drain(self.sessionmaker, self.settings):
                    pass
            except Exception:
                log.exception("outbox drain failed")
            self._wake.clear()
            with anyio.move_on_after(self.settings.outbox_poll_seconds):
                await self._wake.wait()

    async def _schedule_forever(self, periodic_job: jobs.PeriodicJob) -> None:
        while True:
            await anyio.sleep(periodic_job.every_seconds)
            try:
                await jobs.run_periodic(self.sessionmaker, periodic_job.name)
            except Exception:
                log.exception("periodic job failed", extra={"job": periodic_job.name})

    async def run(self) -> None:
        async with anyio.create_task_group() as tg:
            tg.start_soon(self._drain_forever)
            for periodic_job in jobs.periodic_jobs().values():
                tg.start_soon(self._schedule_forever, periodic_job)
