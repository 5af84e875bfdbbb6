"""Key-value store for the cache, the token denylist and rate limits.

Redis when ``LMS_REDIS_URL`` is set, otherwise an in-process memory store with the same
interface (fine for a single process; several workers need Redis).
"""

from __future__ import annotations

import asyncio
import collections
import json
import time
from collections.abc import Sequence
from typing import Any, Protocol

import redis.asyncio as aioredis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import MaxConnectionsError

from lms.core.config import Settings
from lms.core.metrics import CACHE as CACHE_LOOKUPS

# What a store call raises when Redis is unreachable or fails.
STORE_ERRORS: tuple[type[Exception], ...] = (aioredis.RedisError, OSError)


class Store(Protocol):
    async def get(self, key: str) -> str | None: ...
    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None: ...
    async def delete(self, *keys: str) -> None: ...
    async def exists(self, key: str) -> bool: ...
    async def get_many(self, *keys: str) -> list[str | None]:
        """The values of ``keys`` in one round trip (None where missing)."""
        ...

    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        """Set ``key`` only if it does not exist; True if it was set."""
        ...

    async def incr(self, key: str, ttl_seconds: int) -> tuple[int, int]:
        """Increment a counter; the first increment starts its TTL. Returns (count, ttl)."""
        ...

    async def incr_within(self, limits: Sequence[tuple[str, int]], ttl_seconds: int) -> int | None:
        """``incr`` each key in turn, in one round trip, stopping at the first whose count
        passes its limit (the keys after it are not counted): that key's remaining TTL, or
        None when every count is within its limit."""
        ...

    async def get_and_count(
        self, keys: Sequence[str], counters: Sequence[tuple[str, int, int]]
    ) -> tuple[list[str | None], list[tuple[int, int]]]:
        """In one round trip: the values of ``keys`` and, unless the first of them is set,
        the counters of ``counters`` (key, TTL of its first increment, limit) incremented
        in turn, with each one's count and remaining TTL, stopping after the first whose
        count passes its limit (those after it are not counted); when the first key is
        set nothing is counted. What a signed-in request asks first: is the token
        revoked, what is cached of the account, and how much of its budget is spent."""
        ...

    async def get_versioned(
        self, version_key: str, prefix: str, suffix: str
    ) -> tuple[str, str | None]:
        """In one round trip: the version stored at ``version_key`` ("0" when unset) and
        the value at ``prefix + version + suffix``."""
        ...

    async def ping(self) -> bool: ...
    async def close(self) -> None: ...


class MemoryStore:
    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._lock = asyncio.Lock()

    def _live(self, key: str) -> str | None:
        item = self._data.get(key)
        if item is None:
            return None
        value, expires_at = item
        if expires_at is not None and expires_at <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def get(self, key: str) -> str | None:
        return self._live(key)

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        expires_at = time.monotonic() + ttl_seconds if ttl_seconds else None
        self._data[key] = (value, expires_at)

    async def delete(self, *keys: str) -> None:
        for key in keys:
            self._data.pop(key, None)

    async def exists(self, key: str) -> bool:
        return self._live(key) is not None

    async def get_many(self, *keys: str) -> list[str | None]:
        return [self._live(key) for key in keys]

    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        if self._live(key) is not None:
            return False
        self._data[key] = (value, time.monotonic() + ttl_seconds)
        return True

    async def incr(self, key: str, ttl_seconds: int) -> tuple[int, int]:
        async with self._lock:
            now = time.monotonic()
            current = self._live(key)
            if current is None:
                self._data[key] = ("1", now + ttl_seconds)
                return 1, ttl_seconds
            expires_at = self._data[key][1] or now + ttl_seconds
            count = int(current) + 1
            self._data[key] = (str(count), expires_at)
            return count, max(1, int(expires_at - now))

    async def get_and_count(
        self, keys: Sequence[str], counters: Sequence[tuple[str, int, int]]
    ) -> tuple[list[str | None], list[tuple[int, int]]]:
        values = [self._live(key) for key in keys]
        counted: list[tuple[int, int]] = []
        if values and values[0] is not None:
            return values, counted
        for key, ttl, limit in counters:
            counted.append(await self.incr(key, ttl))
            if counted[-1][0] > limit:
                break
        return values, counted

    async def incr_within(self, limits: Sequence[tuple[str, int]], ttl_seconds: int) -> int | None:
        for key, limit in limits:
            count, ttl = await self.incr(key, ttl_seconds)
            if count > limit:
                return ttl
        return None

    async def get_versioned(
        self, version_key: str, prefix: str, suffix: str
    ) -> tuple[str, str | None]:
        version = self._live(version_key) or "0"
        return version, self._live(f"{prefix}{version}{suffix}")

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._data.clear()


# Counters in one round trip (see Store.incr_within): each key's first increment starts
# its TTL (ARGV[1]); counting stops at the first key past its limit (ARGV[i + 1]), whose
# count and TTL come back. One EVALSHA costs the client much less than a MULTI/EXEC
# pipeline of three commands per key.
_INCR_WITHIN = """
for i, key in ipairs(KEYS) do
  local count = redis.call('INCR', key)
  redis.call('EXPIRE', key, ARGV[1], 'NX')
  if count > tonumber(ARGV[i + 1]) then
    return {count, redis.call('TTL', key)}
  end
end
return {0, 0}
"""

# Values, then counters, in one round trip (see Store.get_and_count): the first
# ARGV[1] keys are read; unless the first of them is set, each key after them is
# incremented in turn (its first increment starts its TTL; each counter has a TTL and a
# limit in ARGV) and its count and TTL come back, until one passes its limit. A missing
# value comes back as nil (Lua false).
_GET_AND_COUNT = """
local reads = tonumber(ARGV[1])
local reply = {}
for i = 1, reads do
  reply[i] = redis.call('GET', KEYS[i])
end
if reply[1] then
  return reply
end
for i = reads + 1, #KEYS do
  local at = 2 * (i - reads)
  local count = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[at], 'NX')
  reply[#reply + 1] = count
  reply[#reply + 1] = redis.call('TTL', KEYS[i])
  if count > tonumber(ARGV[at + 1]) then
    return reply
  end
end
return reply
"""

# The version and the versioned value in one round trip (see Store.get_versioned).
_GET_VERSIONED = """
local version = redis.call('GET', KEYS[1]) or '0'
return {version, redis.call('GET', ARGV[1] .. version .. ARGV[2])}
"""


class WaitingConnectionPool(aioredis.ConnectionPool):
    """redis-py's pool, except that a request that finds every connection busy (a
    burst: an exam's start) waits in line for one, up to ``wait_seconds``, instead of
    failing at once with ``MaxConnectionsError``; past the bound it gets redis-py's
    ``ConnectionError``. A connection is handed out as before when one is free, so the
    usual request pays nothing for this (redis-py's ``BlockingConnectionPool`` takes a
    lock and a timeout on every checkout: 20 microseconds a call, measured)."""

    def __init__(self, *args: Any, wait_seconds: float, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.wait_seconds = wait_seconds
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def get_connection(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().get_connection(*args, **kwargs)
        except MaxConnectionsError:
            pass
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_seconds
        while True:
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                async with asyncio.timeout_at(deadline):
                    await waiter
            except TimeoutError:
                raise RedisConnectionError("No Redis connection came free in time.") from None
            finally:
                if not waiter.done():
                    waiter.cancel()
            try:
                return await super().get_connection(*args, **kwargs)
            except MaxConnectionsError:  # taken by a request that did not wait: again
                continue

    async def release(self, connection: Any) -> None:
        await super().release(connection)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                break


class RedisStore:
    """The store on Redis, with at most ``max_connections`` per process; a burst past
    them waits up to ``wait_seconds`` (``WaitingConnectionPool``)."""

    def __init__(self, url: str, *, max_connections: int = 100, wait_seconds: float = 5.0) -> None:
        pool = WaitingConnectionPool.from_url(
            url,
            max_connections=max_connections,
            wait_seconds=wait_seconds,
            decode_responses=True,
            socket_timeout=2,
            socket_connect_timeout=2,
        )
        self._redis = aioredis.Redis.from_pool(pool)
        self._get_versioned = self._redis.register_script(_GET_VERSIONED)
        self._incr_within = self._redis.register_script(_INCR_WITHIN)
        self._get_and_count = self._redis.register_script(_GET_AND_COUNT)

    async def get(self, key: str) -> str | None:
        value = await self._redis.get(key)
        return value if value is None or isinstance(value, str) else value.decode()

    async def set(self, key: str, value: str, ttl_seconds: int | None = None) -> None:
        await self._redis.set(key, value, ex=ttl_seconds)

    async def delete(self, *keys: str) -> None:
        if keys:
            await self._redis.delete(*keys)

    async def exists(self, key: str) -> bool:
        return bool(await self._redis.exists(key))

    async def get_many(self, *keys: str) -> list[str | None]:
        values = await self._redis.mget(keys)
        return [v.decode() if isinstance(v, bytes) else v for v in values]

    async def add(self, key: str, value: str, ttl_seconds: int) -> bool:
        return bool(await self._redis.set(key, value, ex=ttl_seconds, nx=True))

    async def incr(self, key: str, ttl_seconds: int) -> tuple[int, int]:
        # A limit of -1 is always passed: the count and the TTL come back.
        count, ttl = await self._incr_within(keys=[key], args=[ttl_seconds, -1])
        return int(count), max(1, int(ttl))

    async def incr_within(self, limits: Sequence[tuple[str, int]], ttl_seconds: int) -> int | None:
        count, ttl = await self._incr_within(
            keys=[key for key, _ in limits], args=[ttl_seconds, *(limit for _, limit in limits)]
        )
        return max(1, int(ttl)) if int(count) else None

    async def get_and_count(
        self, keys: Sequence[str], counters: Sequence[tuple[str, int, int]]
    ) -> tuple[list[str | None], list[tuple[int, int]]]:
        reply = await self._get_and_count(
            keys=[*keys, *(key for key, _, _ in counters)],
            args=[len(keys), *(value for _, ttl, limit in counters for value in (ttl, limit))],
        )
        values = [v.decode() if isinstance(v, bytes) else v for v in reply[: len(keys)]]
        counted = reply[len(keys) :]
        return values, [
            (int(counted[i]), max(1, int(counted[i + 1]))) for i in range(0, len(counted), 2)
        ]

    async def get_versioned(
        self, version_key: str, prefix: str, suffix: str
    ) -> tuple[str, str | None]:
        version, value = await self._get_versioned(keys=[version_key], args=[prefix, suffix])
        return str(version), value or None

    async def ping(self) -> bool:
        return bool(await self._redis.ping())

    async def close(self) -> None:
        await self._redis.aclose()


def create_store(settings: Settings) -> Store:
    """Redis when ``LMS_REDIS_URL`` is set, else the in-process memory store."""
    if not settings.redis_url:
        return MemoryStore()
    return RedisStore(
        settings.redis_url,
        max_connections=settings.redis_max_connections,
        wait_seconds=settings.redis_pool_wait_seconds,
    )


def version_key(namespace: str) -> str:
    """Where a cache namespace's version lives; bumping it invalidates the namespace."""
    return f"cachever:{namespace}"


class Cache:
    """JSON cache over the store with versioned namespaces: bumping a namespace's
    version invalidates every key in it at once, on Redis and in memory alike.
    A store outage degrades to a cache miss, never to a failed request."""

    def __init__(self, store: Store, ttl_seconds: int) -> None:
        self.store = store
        self.ttl_seconds = ttl_seconds

    async def _version(self, namespace: str) -> str:
        return await self.store.get(version_key(namespace)) or "0"

    async def get(self, namespace: str, key: str) -> Any | None:
        try:
            _version, raw = await self.store.get_versioned(
                version_key(namespace), f"cache:{namespace}:", f":{key}"
            )
        except (aioredis.RedisError, OSError):
            CACHE_LOOKUPS.labels("data", "error").inc()
            return None
        if raw is None:
            CACHE_LOOKUPS.labels("data", "miss").inc()
            return None
        CACHE_LOOKUPS.labels("data", "hit").inc()
        return json.loads(raw)

    async def set(self, namespace: str, key: str, value: Any, ttl: int | None = None) -> None:
        try:
            version = await self._version(namespace)
            await self.store.set(
                f"cache:{namespace}:{version}:{key}",
                json.dumps(value, default=str),
                ttl or self.ttl_seconds,
            )
        except (aioredis.RedisError, OSError):
            return

    async def invalidate(self, namespace: str) -> None:
        try:
            await self.store.incr(version_key(namespace), 86400 * 30)
        except (aioredis.RedisError, OSError):
            return
