"""Fixed-window rate limits over the shared store, raised as 429 with ``Retry-After``."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis
from fastapi import Request

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.deps import (
    COUNTED_STATE_KEY,
    COUNTERS_ATTRIBUTE,
    authenticating,
    client_ip,
    get_principal,
)
from lms.core.errors import TooManyRequests
from lms.core.routing import retrying_in_transaction
from lms.core.security import AccessClaims

log = logging.getLogger("lms.ratelimit")


async def hit(store: Store, key: str, *, limit: int, window_seconds: int) -> None:
    """Count one request against ``key``; raise ``TooManyRequests`` past ``limit``.

    If the store is unreachable the request is let through (rate limiting fails open,
    logged), so a Redis outage does not take the API down."""
    await hit_all(store, {key: limit}, window_seconds=window_seconds)


async def hit_all(store: Store, limits: dict[str, int], *, window_seconds: int) -> None:
    """``hit`` for each key and its limit in turn, in one round trip: the first spent
    budget refuses the request, and the keys after it are not counted."""
    try:
        wait = await store.incr_within(
            [(f"rl:{key}", limit) for key, limit in limits.items()], window_seconds
        )
    except (aioredis.RedisError, OSError):
        log.warning("rate limit store unavailable; request allowed", extra={"keys": list(limits)})
        return
    if wait is not None:
        raise TooManyRequests(wait)


def per_user_and_ip(scope: str, setting: str) -> Callable[..., Awaitable[None]]:
    """A route dependency: the ``setting`` budget per minute for each user, and
    ``rate_limit_ip_multiplier`` times that for each client address, whichever runs
    out first. Use as ``dependencies=[Depends(per_user_and_ip("enroll", "…"))]``.

    Both counters are incremented in the round trip that checks the caller's token
    (``COUNTERS_ATTRIBUTE``), so a limited request costs no Redis call of its own."""

    def limits(request: Request, user_id: object) -> dict[str, int]:
        settings: Settings = request.app.state.settings
        per_user: int = getattr(settings, setting)
        return {
            f"rl:{scope}:user:{user_id}": per_user,
            f"rl:{scope}:ip:{client_ip(request)}": per_user * settings.rate_limit_ip_multiplier,
        }

    def counters(request: Request, claims: AccessClaims) -> list[tuple[str, int, int]]:
        return [(key, 60, limit) for key, limit in limits(request, claims.user_id).items()]

    # The caller, settings and store are taken here rather than as dependencies of their
    # own: each dependency FastAPI resolves costs a level of ``solve_dependencies``. The
    # caller is resolved once per request (the route's own principal is the same one).
    @authenticating
    async def limit(request: Request) -> None:
        principal = await get_principal(request)
        if retrying_in_transaction(request):
            return  # counted on the endpoint's first run
        budgets = limits(request, principal.id)
        counted: dict[str, tuple[int, int]] | None = request.scope.get("state", {}).get(
            COUNTED_STATE_KEY
        )
        if counted is None:
            # Not counted with the token check (the caller was resolved before this
            # route was known): count now.
            store: Store = request.app.state.store
            await hit_all(store, {k[3:]: v for k, v in budgets.items()}, window_seconds=60)
            return
        for key, budget in budgets.items():
            count, seconds_left = counted.get(key, (0, 0))
            if count > budget:
                raise TooManyRequests(seconds_left)

    setattr(limit, COUNTERS_ATTRIBUTE, counters)
    return limit
