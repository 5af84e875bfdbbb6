"""SMTP down: the outbox keeps the email, retries it with growing delays, keeps it as
failed after the last attempt, and an admin's retry delivers it once SMTP is back."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.jobs import OutboxMessage
from lms.core.session import commit
from lms.modules.emails.service import queue_email
from tests.factories.accounts import Account
from tests.integration.conftest import SmtpSink, free_port

pytestmark = pytest.mark.integration


async def _row(db: AsyncSession, message_id: Any) -> OutboxMessage:
    row = await db.get(OutboxMessage, message_id, populate_existing=True)
    assert row is not None
    await db.commit()  # end the snapshot so the next read sees the worker's writes
    return row


async def _make_due(db: AsyncSession, message_id: Any) -> None:
    await db.execute(
        update(OutboxMessage).where(OutboxMessage.id == message_id).values(available_at=utcnow())
    )
    await commit(db)


async def test_smtp_outage_retries_with_backoff_then_fails_and_nothing_is_lost(
    app: Any,
    client: httpx.AsyncClient,
    admin: Account,
    db: AsyncSession,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    port = free_port()  # nothing listens here yet: SMTP is down
    for name, value in {
        "email_backend": "smtp",
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_timeout_seconds": 3.0,
        "outbox_max_attempts": 3,
        "outbox_backoff_base_seconds": 30.0,
    }.items():
        monkeypatch.setattr(settings, name, value)
    sessionmaker = app.state.sessionmaker

    await queue_email(db, to="olga@example.com", template="welcome", context={"full_name": "Olga"})
    await commit(db)
    message_id = await db.scalar(select(OutboxMessage.id))
    await db.commit()

    assert await jobs.deliver(sessionmaker, settings, message_id) == "pending"
    first = await _row(db, message_id)
    assert first.status == "pending" and first.attempts == 1
    assert first.last_error and "SMTP" in first.last_error
    delay = (first.available_at - utcnow()).total_seconds()
    assert 25 < delay <= 30

    # not due yet: a sweep leaves it alone
    assert await jobs.deliver(sessionmaker, settings, message_id) == "skipped"
    assert await jobs.drain(sessionmaker, settings) == 0
    assert (await _row(db, message_id)).attempts == 1

    await _make_due(db, message_id)
    assert await jobs.deliver(sessionmaker, settings, message_id) == "pending"
    second = await _row(db, message_id)
    assert second.attempts == 2
    assert 55 < (second.available_at - utcnow()).total_seconds() <= 60  # the delay doubled

    await _make_due(db, message_id)
    assert await jobs.deliver(sessionmaker, settings, message_id) == "failed"
    failed = await _row(db, message_id)
    assert failed.status == "failed" and failed.attempts == 3
    assert failed.payload == {
        "to": "olga@example.com",
        "template": "welcome",
        "context": {"full_name": "Olga"},
    }
    assert await jobs.drain(sessionmaker, settings) == 0  # failed for good: no more tries

    listed = await client.get("/admin/outbox", headers=admin.headers, params={"status": "failed"})
    assert [item["id"] for item in listed.json()["items"]] == [str(message_id)]

    # SMTP is back on the same address; an admin retries and the email arrives
    sink = SmtpSink(port)
    sink.start()
    try:
        retried = await client.post(f"/admin/outbox/{message_id}/retry", headers=admin.headers)
        assert retried.status_code == 200 and retried.json()["status"] == "pending"
        assert await jobs.drain(sessionmaker, settings) == 1
        [message] = sink.messages
        assert message["To"] == "olga@example.com" and message["Subject"] == "Welcome to LMS"
        assert "Hello Olga," in sink.text_of(message)
    finally:
        sink.stop()
    done = await _row(db, message_id)
    assert done.status == "done" and done.completed_at is not None
    assert done.available_at <= utcnow() + timedelta(seconds=1)
