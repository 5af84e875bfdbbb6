"""The outbox on the embedded defaults: a failing job is retried with a growing delay and
kept as failed after the last attempt; a working one runs once."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.jobs import OutboxMessage
from lms.core.session import commit

calls: list[dict[str, Any]] = []


@jobs.job("tests.flaky")
async def _flaky(_session: AsyncSession, payload: dict[str, Any]) -> None:
    calls.append(payload)
    if payload.get("fail"):
        raise ConnectionError("downstream is down")


async def test_failures_back_off_then_fail_for_good(
    app: Any, db: AsyncSession, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(settings, "outbox_max_attempts", 2)
    monkeypatch.setattr(settings, "outbox_backoff_base_seconds", 10.0)
    message = await jobs.enqueue(db, "tests.flaky", {"fail": True})
    await commit(db)

    assert await jobs.deliver(app.state.sessionmaker, settings, message.id) == "pending"
    row = await db.get(OutboxMessage, message.id, populate_existing=True)
    assert row is not None and row.attempts == 1
    assert row.last_error == "ConnectionError: downstream is down"
    assert 5 < (row.available_at - utcnow()).total_seconds() <= 10
    await db.execute(
        update(OutboxMessage).where(OutboxMessage.id == message.id).values(available_at=utcnow())
    )
    await commit(db)
    assert await jobs.drain(app.state.sessionmaker, settings) == 0
    status = await db.scalar(select(OutboxMessage.status).where(OutboxMessage.id == message.id))
    assert status == "failed"


async def test_dedupe_key_and_single_delivery(
    app: Any, db: AsyncSession, settings: Settings
) -> None:
    calls.clear()
    first = await jobs.enqueue(db, "tests.flaky", {"n": 1}, dedupe_key="once")
    second = await jobs.enqueue(db, "tests.flaky", {"n": 2}, dedupe_key="once")
    await commit(db)
    assert first.id == second.id
    assert await jobs.drain(app.state.sessionmaker, settings) == 1
    assert await jobs.drain(app.state.sessionmaker, settings) == 0
    assert calls == [{"n": 1}]
