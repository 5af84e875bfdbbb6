"""Liveness and readiness probes."""

from __future__ import annotations

from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import text

router = APIRouter(tags=["health"])


class Liveness(BaseModel):
    status: str = Field(description="`ok`")


class Readiness(BaseModel):
    status: str = Field(description="`ok`, or `unavailable` when a dependency is down")
    checks: dict[str, str] = Field(
        description="Each dependency (`database`, `redis`, `broker`): `ok` or `error: …`"
    )


@router.get("/health", response_model=Liveness)
async def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def _check_broker(url: str) -> None:
    from kombu import Connection

    def connect() -> None:
        with Connection(url, connect_timeout=2) as connection:
            connection.ensure_connection(max_retries=1, timeout=2)

    await anyio.to_thread.run_sync(connect)


@router.get(
    "/ready",
    response_model=Readiness,
    responses={
        503: {"model": Readiness, "description": "A dependency is down; `checks` says which."}
    },
)
async def ready(request: Request) -> JSONResponse:
    """Readiness: the database, and Redis and the broker when configured, answer."""
    state = request.app.state
    checks: dict[str, Any] = {}

    try:
        with anyio.fail_after(3):
            async with state.engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:
        checks["database"] = f"error: {type(exc).__name__}"

    if state.settings.redis_url:
        try:
            with anyio.fail_after(3):
                await state.store.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"

    if state.settings.celery_broker_url:
        try:
            with anyio.fail_after(5):
                await _check_broker(state.settings.celery_broker_url)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {type(exc).__name__}"

    healthy = all(value == "ok" for value in checks.values())
    return JSONResponse(
        {"status": "ok" if healthy else "unavailable", "checks": checks},
        status_code=200 if healthy else 503,
    )
