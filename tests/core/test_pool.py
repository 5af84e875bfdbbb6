"""The connection pool serves requests in the order they asked for a connection."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from lms.core.pool import FairAsyncQueuePool
from tests.conftest import DATABASE_URL


@pytest.fixture
async def one_connection() -> AsyncIterator[AsyncEngine]:
    """An engine whose pool holds a single connection, waiting at most a second."""
    engine = create_async_engine(
        DATABASE_URL, poolclass=FairAsyncQueuePool, pool_size=1, max_overflow=0, pool_timeout=1
    )
    yield engine
    await engine.dispose()


async def _select_one(engine: AsyncEngine) -> int:
    async with engine.connect() as connection:
        return int((await connection.execute(text("SELECT 1"))).scalar_one())


async def test_a_returned_connection_goes_to_the_request_that_waited_longest(
    one_connection: AsyncEngine,
) -> None:
    served: list[str] = []

    async def waiting_request() -> None:
        async with one_connection.connect() as connection:
            served.append("waited")
            await connection.execute(text("SELECT 1"))

    held = await one_connection.connect()
    waiting = asyncio.create_task(waiting_request())
    await asyncio.sleep(0.1)  # it waits for the only connection
    await held.close()
    # A request arriving right as the connection comes back queues behind the waiter.
    async with one_connection.connect() as connection:
        served.append("arrived")
        await connection.execute(text("SELECT 1"))
    await waiting
    assert served == ["waited", "arrived"]


async def test_a_wait_that_times_out_leaves_the_pool_whole(one_connection: AsyncEngine) -> None:
    held = await one_connection.connect()
    with pytest.raises(PoolTimeout):
        await _select_one(one_connection)
    await held.close()
    assert await _select_one(one_connection) == 1


async def test_a_cancelled_request_does_not_take_the_connection_with_it(
    one_connection: AsyncEngine,
) -> None:
    held = await one_connection.connect()
    gone = asyncio.create_task(_select_one(one_connection))
    await asyncio.sleep(0.1)
    gone.cancel()
    await held.close()  # handed to nobody: the cancelled request gave up its place
    with pytest.raises(asyncio.CancelledError):
        await gone
    # The connection is in the pool (a lost one would time out here after a second).
    assert await asyncio.gather(*(_select_one(one_connection) for _ in range(3))) == [1, 1, 1]
