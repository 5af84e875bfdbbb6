"""A Celery worker on RabbitMQ is SIGKILLed while it waits for a webhook receiver's
answer. Nothing of that delivery committed, the task was not acknowledged, so the next
worker delivers the message again: the receiver gets it twice with the same
``webhook-id`` (and dedupes by it), and one delivery is recorded, succeeded."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import anyio
import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.celery_app import DELIVER_TASK
from lms.core.config import Settings
from lms.core.jobs import OutboxMessage
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.webhooks import Received, Receiver, deliveries, register_endpoint
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, broker_error, require

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
WORKER_ENV = {
    # The worker imports this checkout's package, and reaches the loopback receiver.
    "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "src")]),
    "LMS_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
}


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver().start()
    yield server
    server.stop()


async def test_a_worker_killed_mid_delivery_delivers_again_with_the_same_id(
    client: httpx.AsyncClient,
    admin: Account,
    db: AsyncSession,
    settings: Settings,
    queue: str,
    receiver: Receiver,
    tmp_path: Path,
) -> None:
    problem = await anyio.to_thread.run_sync(broker_error, BROKER_URL)
    require("the Celery broker", problem is None, problem or "")
    log_path = tmp_path / "workers.log"
    first_arrived, first_may_answer = threading.Event(), threading.Event()

    def hold_the_first(got: Received) -> None:
        if len(receiver.received) == 1:
            first_arrived.set()
            first_may_answer.wait(60)

    receiver.on_request = hold_the_first
    endpoint = await register_endpoint(client, admin, receiver.url)
    pinged = ok(
        await client.post(f"/webhooks/endpoints/{endpoint['id']}/ping", headers=admin.headers),
        202,
    )
    message_id = await db.scalar(
        select(OutboxMessage.id).where(OutboxMessage.task == "webhooks.send")
    )
    await db.commit()
    assert message_id is not None

    first = workers.start_worker(queue, log_path, env=WORKER_ENV)
    second = None
    try:
        await anyio.to_thread.run_sync(
            workers.send_task, settings, queue, DELIVER_TASK, str(message_id)
        )
        arrived = await anyio.to_thread.run_sync(first_arrived.wait, 60)
        assert arrived, log_path.read_text(errors="replace")[-3000:]
        await anyio.to_thread.run_sync(workers.kill, first)
        first_may_answer.set()

        second = workers.start_worker(queue, log_path, env=WORKER_ENV)

        async def done() -> bool:
            status = await db.scalar(
                select(OutboxMessage.status).where(OutboxMessage.id == message_id)
            )
            await db.commit()
            return status == "done"

        with anyio.fail_after(90):
            while not await done():
                await anyio.sleep(0.1)
    finally:
        await anyio.to_thread.run_sync(workers.kill, first)
        if second is not None:
            await anyio.to_thread.run_sync(workers.stop, second)

    ids = [got.id for got in receiver.received]
    assert ids == [pinged["message_id"], pinged["message_id"]], log_path.read_text()[-3000:]
    assert all(got.verifies_with(endpoint["secret"]) for got in receiver.received)
    [delivery] = await deliveries(client, admin, endpoint["id"])
    assert delivery["status"] == "succeeded" and delivery["attempts"] == 1
    assert delivery["message_id"] == pinged["message_id"]
