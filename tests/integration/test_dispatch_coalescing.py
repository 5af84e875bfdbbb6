"""The API's wake-ups of the Celery workers, on the real RabbitMQ and Redis: a burst of
commits queues one drain task, the requests after the first pay no Redis round trip,
and a row committed just after a drain started (the wake-up key cleared) still gets a
drain within the coalescing window, not at the next sweep."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import pytest
from kombu import Connection

from lms.core.cache import Store, create_store
from lms.core.celery_app import WAKE_KEY, celery_dispatcher, create_celery
from lms.core.config import Settings
from tests.integration import workers
from tests.integration.conftest import BROKER_URL, broker_error, require

pytestmark = pytest.mark.integration

WINDOW = 0.3


@pytest.fixture
def queue() -> Iterator[str]:
    name = workers.new_queue()
    yield name
    workers.delete_queue(name)


@pytest.fixture
async def shared_redis(settings: Settings) -> AsyncIterator[Store]:
    require("Redis", bool(settings.redis_url), "LMS_TEST_REDIS_URL is not set")
    store = create_store(settings)
    await store.delete(WAKE_KEY)
    yield store
    await store.delete(WAKE_KEY)
    await store.close()


def queued(queue: str) -> int:
    with Connection(BROKER_URL, connect_timeout=3) as connection:
        _name, count, _consumers = connection.default_channel.queue_declare(queue, passive=True)
    return int(count)


async def test_a_burst_of_commits_queues_one_drain_and_a_late_row_is_not_left_for_the_sweep(
    settings: Settings, queue: str, shared_redis: Store
) -> None:
    require("RabbitMQ", broker_error(BROKER_URL) is None, broker_error(BROKER_URL) or "")
    celery = create_celery(
        settings.model_copy(update={"celery_broker_url": BROKER_URL, "celery_queue": queue})
    )
    store = shared_redis
    dispatch = celery_dispatcher(celery, store, coalesce_seconds=WINDOW)

    # Twenty requests commit within the window: one drain task is queued.
    for _ in range(20):
        await dispatch()
    assert queued(queue) == 1

    # A worker starts that drain: it clears the key, then looks for due rows. A row
    # committed after its look, still within the window, asks nobody at once...
    await store.delete(WAKE_KEY)
    await dispatch()
    assert queued(queue) == 1
    # ...and is covered by one call at the window's end: a second drain is queued.
    await asyncio.sleep(WINDOW + 0.2)
    assert queued(queue) == 2

    # After the window, a commit asks again at once (the key is still set: no third task).
    await dispatch()
    assert queued(queue) == 2
