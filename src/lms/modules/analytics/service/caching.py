"""Each analytics result is cached briefly, after the access check.

Every result is stored for ``LMS_ANALYTICS_CACHE_SECONDS`` (namespace ``analytics``)
under a key naming the subject and the window, *after* the access check, so a cached
figure is only ever served to someone allowed to compute it. ``fresh=True`` skips the
cached copy and stores the new one. Figures are therefore at most that many seconds old;
nothing else invalidates them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from pydantic import BaseModel

from lms.core.cache import Cache
from lms.core.config import Settings

CACHE_NAMESPACE = "analytics"

ModelT = TypeVar("ModelT", bound=BaseModel)


async def cached(
    cache: Cache,
    settings: Settings,
    *,
    key: str,
    fresh: bool,
    model: type[ModelT],
    compute: Callable[[], Awaitable[ModelT]],
) -> ModelT:
    """The cached result under ``key`` unless ``fresh``; otherwise ``compute()``, stored
    for the configured time (nothing is stored when that time is 0)."""
    ttl = settings.analytics_cache_seconds
    if ttl and not fresh:
        hit = await cache.get(CACHE_NAMESPACE, key)
        if hit is not None:
            return model.model_validate(hit)
    result = await compute()
    if ttl:
        await cache.set(CACHE_NAMESPACE, key, result.model_dump(mode="json"), ttl=ttl)
    return result
