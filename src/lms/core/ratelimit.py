"""Fixed-window rate limits over the shared store, raised as 429 with ``Retry-After``.

Signed-in traffic is limited per account (``per_account``): a school's 2,000 students
behind one public address each have their own budget. Budgets per client address
(``hit`` keyed on ``client_ip``) protect only the anonymous endpoints (sign-in,
registration, password reset and the other auth endpoints).

Every limited answer carries the IETF httpapi draft's fields (draft-ietf-httpapi-
ratelimit-headers-08 and later): ``RateLimit-Policy: "<name>";q=<quota>;w=<window>``
and ``RateLimit: "<name>";r=<remaining>;t=<seconds to reset>``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import redis.asyncio as aioredis
from fastapi import Request

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.errors import TooManyRequests
from lms.core.security import AccessClaims

log = logging.getLogger("lms.ratelimit")

STATE_KEY = "rate_limit"
# The window of the per-account budgets.
WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Budget:
    """What is left of one policy's budget after this request."""

    policy: str
    quota: int
    window_seconds: int
    remaining: int
    reset_seconds: int

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (
                b"ratelimit-policy",
                f'"{self.policy}";q={self.quota};w={self.window_seconds}'.encode(),
            ),
            (
                b"ratelimit",
                f'"{self.policy}";r={self.remaining};t={self.reset_seconds}'.encode(),
            ),
        ]


async def hit(
    store: Store,
    key: str,
    *,
    limit: int,
    window_seconds: int,
    request: Request | None = None,
    policy: str | None = None,
) -> None:
    """Count one request against ``key``; raise ``TooManyRequests`` past ``limit``.
    With ``request``, its answer carries the budget (``RateLimit-Policy``, ``RateLimit``)
    under the name ``policy``.

    If the store is unreachable the request is let through (rate limiting fails open,
    logged), so a Redis outage does not take the API down."""
    try:
        count, ttl = await store.incr(f"rl:{key}", window_seconds)
    except (aioredis.RedisError, OSError):
        log.warning("rate limit store unavailable; request allowed", extra={"key": key})
        return
    settle(request, key, (count, ttl), limit=limit, policy=policy, window_seconds=window_seconds)


def settle(
    request: Request | None,
    key: str,
    spent: tuple[int, int],
    *,
    limit: int,
    policy: str | None,
    window_seconds: int = 60,
) -> None:
    """Decide on a counted request: ``spent`` is the counter's (count, seconds to its
    reset). Past ``limit``, ``TooManyRequests`` with the budget's headers; otherwise the
    budget is left for the answer's headers (with ``request``)."""
    count, ttl = spent
    budget = Budget(
        policy=policy or key.split(":", 1)[0],
        quota=limit,
        window_seconds=window_seconds,
        remaining=max(0, limit - count),
        reset_seconds=max(1, ttl),
    )
    if count > limit:
        error = TooManyRequests(ttl)
        error.headers.update({name.decode(): value.decode() for name, value in budget.headers()})
        raise error
    if request is not None:
        request.scope.setdefault("state", {})[STATE_KEY] = budget


def per_account(scope: str, setting: str) -> Callable[..., Awaitable[None]]:
    """A route dependency for signed-in callers: the ``setting`` budget per minute for
    each account, wherever its requests come from. Use as
    ``dependencies=[Depends(per_account("enroll", "…"))]``.

    The counter is incremented in the round trip that checks the caller's token
    (``lms.core.deps.COUNTERS_ATTRIBUTE``), so a limited request costs no Redis call of
    its own."""
    # Imported here: the route class (lms.core.routing) imports this module, and the
    # principal dependencies import the route class.
    from lms.core.deps import COUNTED_STATE_KEY, COUNTERS_ATTRIBUTE, authenticating, get_principal
    from lms.core.routing import retrying_in_transaction

    def key_of(user_id: object) -> str:
        return f"{scope}:user:{user_id}"

    def counters(request: Request, claims: AccessClaims) -> list[tuple[str, int, int]]:
        settings: Settings = request.app.state.settings
        return [(f"rl:{key_of(claims.user_id)}", WINDOW_SECONDS, getattr(settings, setting))]

    # The caller, settings and store are taken here rather than as dependencies of their
    # own: each dependency FastAPI resolves costs a level of ``solve_dependencies``. The
    # caller is resolved once per request (the route's own principal is the same one).
    @authenticating
    async def limit(request: Request) -> None:
        principal = await get_principal(request)
        if retrying_in_transaction(request):
            return  # counted on the endpoint's first run
        settings: Settings = request.app.state.settings
        key = key_of(principal.id)
        counted: dict[str, tuple[int, int]] = request.scope.get("state", {}).get(
            COUNTED_STATE_KEY, {}
        )
        spent = counted.get(f"rl:{key}")
        if spent is None:
            # Not counted with the token check (the caller was resolved before this
            # route was known): count now.
            await hit(
                request.app.state.store,
                key,
                limit=getattr(settings, setting),
                window_seconds=WINDOW_SECONDS,
                request=request,
                policy=scope,
            )
            return
        settle(request, key, spent, limit=getattr(settings, setting), policy=scope)

    setattr(limit, COUNTERS_ATTRIBUTE, counters)
    return limit
