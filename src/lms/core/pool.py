"""A first-come, first-served connection pool for the asyncio engine.

SQLAlchemy's asyncio pool queue lets a request that arrives while a connection is being
handed back take it, ahead of the requests already waiting; a waiter that loses that
race queues again at the back. Under sustained load (more requests in flight than
pooled connections) a few requests then wait many times over, and the 99th percentile
latency of the writes grew to ten times the median. Here a returned connection goes to
the longest-waiting request, and a newcomer waits behind everyone already waiting.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import TypeVar

from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry
from sqlalchemy.util import await_
from sqlalchemy.util.queue import AsyncAdaptedQueue, Empty

T = TypeVar("T")


class FairQueue(AsyncAdaptedQueue[T]):
    def __init__(self, maxsize: int = 0, use_lifo: bool = False) -> None:
        super().__init__(maxsize, use_lifo)
        self._waiters: deque[asyncio.Future[T]] = deque()

    def put_nowait(self, item: T) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():  # a waiter that gave up is skipped
                waiter.set_result(item)
                return
        super().put_nowait(item)

    def put(self, item: T, block: bool = True, timeout: float | None = None) -> None:
        # The pool returns connections without blocking; this queue never refuses one
        # that a waiter can take.
        if not block or self._waiters:
            self.put_nowait(item)
        else:
            super().put(item, block, timeout)

    def get(self, block: bool = True, timeout: float | None = None) -> T:
        if not self._waiters:  # nobody is ahead: take an idle connection if there is one
            try:
                return self._queue.get_nowait()
            except asyncio.QueueEmpty:
                pass
        if not block:
            raise Empty()
        return await_(self._wait(timeout))

    async def _wait(self, seconds: float | None) -> T:
        waiter: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(seconds):
                return await waiter
        except BaseException as exc:  # a timeout, or the request was cancelled
            if waiter.done() and not waiter.cancelled():
                # Handed a connection just as the wait ended: pass it on, not lose it.
                self.put_nowait(waiter.result())
            else:
                waiter.cancel()
            if isinstance(exc, TimeoutError):
                raise Empty() from exc
            raise


class FairAsyncQueuePool(AsyncAdaptedQueuePool):
    _queue_class = FairQueue[ConnectionPoolEntry]
