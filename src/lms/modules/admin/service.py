"""Operations for admins: the outbox of side effects (emails, jobs) and its failures."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, jobs
from lms.core.errors import Conflict, NotFound
from lms.core.pagination import decode_cursor, encode_cursor
from lms.modules.admin.events import OutboxMessageRetried
from lms.modules.admin.schemas import OutboxMessageRead, OutboxStatus


class OutboxMessageNotFound(NotFound):
    code = "outbox_message_not_found"
    detail = "No outbox message with this id."


def _read(message: jobs.OutboxMessage) -> OutboxMessageRead:
    payload = dict(message.payload or {})
    sensitive = bool(payload.get("_sensitive"))
    return OutboxMessageRead(
        id=message.id,
        task=message.task,
        status=message.status,
        attempts=message.attempts,
        available_at=message.available_at,
        last_error=message.last_error,
        created_at=message.created_at,
        completed_at=message.completed_at,
        sensitive=sensitive,
        payload=None if sensitive else payload,
    )


async def list_outbox(
    session: AsyncSession,
    *,
    status: OutboxStatus | None,
    offset: int,
    limit: int,
    cursor: str | None = None,
) -> tuple[list[OutboxMessageRead], int, str | None]:
    """Outbox messages, newest first, optionally of one status; after ``cursor`` when
    given. Also the cursor after this page's last message (None on the last page)."""
    messages, total = await jobs.list_messages(
        session,
        status=status,
        offset=offset,
        limit=limit,
        after=decode_cursor(cursor) if cursor else None,
    )
    following = (
        encode_cursor(messages[-1].created_at, messages[-1].id) if len(messages) == limit else None
    )
    return [_read(message) for message in messages], total, following


async def retry_outbox_message(
    session: AsyncSession, *, message_id: uuid.UUID
) -> OutboxMessageRead:
    """Put a message that failed for good back in the queue, with a fresh budget of
    attempts; it is delivered after this request commits."""
    message = await jobs.get_message(session, message_id)
    if message is None:
        raise OutboxMessageNotFound()
    attempts_before = message.attempts
    if not await jobs.requeue_failed(session, message_id):
        raise Conflict(
            f"Only failed messages can be retried; this one is {message.status}.",
            code="outbox_not_failed",
        )
    message = await jobs.get_message(session, message_id)
    assert message is not None
    await events.publish(
        session,
        OutboxMessageRetried(
            message_id=message.id, task=message.task, attempts_before=attempts_before
        ),
    )
    return _read(message)
