"""Fixed-window rate limits over the shared store, raised as 429 with ``Retry-After``."""

from __future__ import annotations

import logging

import redis.asyncio as aioredis

from lms.core.cache import Store
from lms.core.errors import TooManyRequests

log = logging.getLogger("lms.ratelimit")


async def hit(store: Store, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one request against ``key``; raise ``TooManyRequests`` past ``limit``.

    If the store is unreachable the request is let through (rate limiting fails open,
    logged), so a Redis outage does not take the API down."""
    try:
        count, ttl = await store.incr(f"rl:{key}", window_seconds)
    except (aioredis.RedisError, OSError):
        log.warning("rate limit store unavailable; request allowed", extra={"key": key})
        return
    if count > limit:
        raise TooManyRequests(ttl)
