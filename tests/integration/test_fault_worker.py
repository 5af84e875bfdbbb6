"""A Celery worker is SIGKILLed in the middle of a job. The task was not acknowledged
(``acks_late``), so the broker hands it to the next worker, which runs the job again;
the first run's database effect died with its transaction, so the effect happens
exactly once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.celery_app import DELIVER_TASK
from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from lms.core.session import commit
from lms.modules.users.models import User
from tests.factories.accounts import Account
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, broker_error, require
from tests.integration.slow_job import SLOW_TASK

pytestmark = pytest.mark.integration


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


async def wait_for(check: Callable[[], Awaitable[bool]], timeout: float) -> None:
    with anyio.fail_after(timeout):
        while not await check():
            await anyio.sleep(0.1)


async def test_a_killed_worker_s_job_runs_again_and_takes_effect_once(
    db: AsyncSession,
    student: Account,
    settings: Settings,
    queue: str,
    tmp_path: Path,
) -> None:
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    marker = tmp_path / "runs.txt"
    log_path = tmp_path / "workers.log"

    message = await jobs.enqueue(db, SLOW_TASK, {"marker": str(marker), "user_id": str(student.id)})
    await commit(db)
    message_id = message.id

    first = workers.start_worker(queue, log_path, module="tests.integration.slow_job")
    second = None
    try:
        await anyio.to_thread.run_sync(
            workers.send_task, settings, queue, DELIVER_TASK, str(message_id)
        )

        async def started() -> bool:
            return marker.exists() and marker.read_text().count("\n") >= 1

        await wait_for(started, 60)
        await anyio.sleep(0.5)  # well inside the job, its effect flushed, not committed
        await anyio.to_thread.run_sync(workers.kill, first)

        row = await db.get(OutboxMessage, message_id, populate_existing=True)
        assert row is not None and row.status == "pending"
        await db.commit()

        second = workers.start_worker(queue, log_path, module="tests.integration.slow_job")

        async def done() -> bool:
            status = await db.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == message_id)
            )
            await db.commit()  # a fresh snapshot next time
            return status == "done"

        await wait_for(done, 90)
    finally:
        await anyio.to_thread.run_sync(workers.kill, first)
        if second is not None:
            await anyio.to_thread.run_sync(workers.stop, second)

    runs = marker.read_text().splitlines()
    assert len(runs) == 2, log_path.read_text(errors="replace")[-3000:]
    assert runs[0] != runs[1]  # two different worker processes ran it
    name = await db.scalar(select(User.full_name).where(User.id == student.id))
    assert name == f"{student.full_name}+"  # the effect, exactly once
    row = await db.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None and row.attempts == 1 and row.last_error is None
