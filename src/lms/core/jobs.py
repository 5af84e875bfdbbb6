"""Transactional outbox and the workers that deliver it.

A side effect (an email, a certificate, a webhook call) is written as an outbox row in
the same transaction as the change that causes it. Work that many events of one
transaction share (webhook messages) is collected into one row of that transaction
(``enqueue_together``), written as the transaction commits. After the commit the
dispatcher is woken once per transaction, whatever it wrote: Celery
(``LMS_CELERY_BROKER_URL`` set) or the in-process drainer. Delivery locks a due row,
runs the handler and marks the row done in one transaction, so a handler's database
effects happen exactly once; a failure is retried with exponential backoff and, after
``outbox_max_attempts``, the row is kept as ``failed`` for an operator to see.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import orjson
from sqlalchemy import (
    DateTime,
    Index,
    String,
    Table,
    Text,
    and_,
    bindparam,
    event,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from lms.core.config import Settings
from lms.core.db import Base, JSONType, UUIDPrimaryKey, utcnow
from lms.core.metrics import JOBS_FAILED
from lms.core.session import commit, run_after_commit
from lms.core.tracing import job_span

log = logging.getLogger("lms.jobs")

JobHandler = Callable[[AsyncSession, dict[str, Any]], Awaitable[None]]
PeriodicHandler = Callable[[AsyncSession], Awaitable[None]]


class OutboxMessage(UUIDPrimaryKey, Base):
    __tablename__ = "outbox_messages"
    __table_args__ = (Index("ix_outbox_messages_due", "status", "available_at"),)

    task: Mapped[str] = mapped_column(String(100))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending/done/failed
    attempts: Mapped[int] = mapped_column(default=0)
    available_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column()


@dataclass(frozen=True)
class PeriodicJob:
    name: str
    every_seconds: int
    handler: PeriodicHandler


_handlers: dict[str, JobHandler] = {}
# ``session.info`` key of the message a delivery's session is delivering.
DELIVERING_INFO_KEY = "lms.outbox.delivering"
_periodic: dict[str, PeriodicJob] = {}
# Set by the application at start-up: called once after a transaction that wrote due
# outbox rows commits ("there is work"); it wakes the drainer or queues a drain task.
Dispatcher = Callable[[], Awaitable[None]]
_dispatch: Dispatcher | None = None
# ``session.info`` keys: the items collected for this transaction's rows, per task, and
# the transaction whose commit already wakes the dispatcher.
_TOGETHER_INFO_KEY = "lms.outbox.together"
_DISPATCHING_INFO_KEY = "lms.outbox.dispatching"


def job(name: str) -> Callable[[JobHandler], JobHandler]:
    """Register ``handler(session, payload)`` as the deliverer of outbox task ``name``."""

    def register(handler: JobHandler) -> JobHandler:
        _handlers[name] = handler
        return handler

    return register


def periodic(name: str, *, every_seconds: int) -> Callable[[PeriodicHandler], PeriodicHandler]:
    """Register a periodic job (Celery beat, or the in-process scheduler)."""

    def register(handler: PeriodicHandler) -> PeriodicHandler:
        _periodic[name] = PeriodicJob(name, every_seconds, handler)
        return handler

    return register


def periodic_jobs() -> dict[str, PeriodicJob]:
    return dict(_periodic)


def set_dispatcher(dispatch: Dispatcher | None) -> None:
    global _dispatch
    _dispatch = dispatch


async def enqueue(
    session: AsyncSession,
    task: str,
    payload: dict[str, Any],
    *,
    dedupe_key: str | None = None,
    delay_seconds: float = 0,
    sensitive: bool = False,
) -> OutboxMessage:
    """Write an outbox row in the caller's transaction; it is dispatched after commit.

    With ``dedupe_key`` a second enqueue of the same key is a no-op (the first row wins).
    A ``sensitive`` payload (a one-time code, a reset token) is erased once delivered."""
    if task not in _handlers:
        raise LookupError(f"no job handler registered for {task!r}")
    if dedupe_key is not None:
        existing = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.dedupe_key == dedupe_key)
        )
        if existing is not None:
            return existing
    message = OutboxMessage(
        task=task,
        payload={**payload, "_sensitive": True} if sensitive else payload,
        dedupe_key=dedupe_key,
        available_at=utcnow() + timedelta(seconds=delay_seconds),
    )
    session.add(message)
    await session.flush()
    if delay_seconds <= 0:
        _dispatch_after_commit(session)
    return message


async def enqueue_many(
    session: AsyncSession,
    task: str,
    payloads: list[dict[str, Any]],
    *,
    sensitive: bool = False,
) -> None:
    """One outbox row of ``task`` per payload, written in one multi-row INSERT in the
    caller's transaction (a bulk import's invitations and emails); dispatched once
    after commit. No ``dedupe_key``: the caller's transaction decides what is new."""
    if task not in _handlers:
        raise LookupError(f"no job handler registered for {task!r}")
    if not payloads:
        return
    now = utcnow()
    rows = [{**payload, "_sensitive": True} if sensitive else payload for payload in payloads]
    if session.get_bind().dialect.name == "postgresql":
        # Two parameters whatever the number of rows (the payloads as one array), the
        # ids made by the server: a bulk import's thousands of rows cost no Python work
        # per row beyond its JSON.
        await session.execute(
            _INSERT_MANY_POSTGRESQL,
            {"task": task, "now": now, "payloads": [orjson.dumps(row).decode() for row in rows]},
        )
        _dispatch_after_commit(session)
        return
    await session.execute(
        insert(cast(Table, OutboxMessage.__table__)),
        [
            {
                "id": uuid.uuid4(),
                "task": task,
                "dedupe_key": None,
                "last_error": None,
                "completed_at": None,
                "payload": payload,
                "status": "pending",
                "attempts": 0,
                "available_at": now,
                "created_at": now,
            }
            for payload in rows
        ],
    )
    _dispatch_after_commit(session)


_INSERT_MANY_POSTGRESQL = text(
    "INSERT INTO outbox_messages (id, task, payload, status, attempts, available_at, created_at) "
    "SELECT gen_random_uuid(), :task, CAST(payload AS jsonb), 'pending', 0, :now, :now "
    "FROM unnest(CAST(:payloads AS text[])) AS rows (payload)"
).bindparams(
    bindparam("now", type_=DateTime(timezone=True)), bindparam("payloads", type_=ARRAY(Text))
)


def enqueue_together(session: AsyncSession, task: str, item: dict[str, Any]) -> None:
    """Add ``item`` to this transaction's one outbox row of ``task`` (payload
    ``{"items": [...]}``), inserted as the transaction commits and dispatched after:
    the events of one request cost one insert and one dispatch however many they are.
    An item added inside a savepoint that rolls back is dropped with it."""
    if task not in _handlers:
        raise LookupError(f"no job handler registered for {task!r}")
    sync = session.sync_session
    current = sync.get_nested_transaction() or sync.get_transaction()
    collected: dict[str, list[tuple[SessionTransaction | None, dict[str, Any]]]]
    collected = session.info.setdefault(_TOGETHER_INFO_KEY, {})
    collected.setdefault(task, []).append((current, item))
    _dispatch_after_commit(session)


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "after_soft_rollback")
def _drop_rolled_back_items(session: Session, previous_transaction: SessionTransaction) -> None:
    collected = session.info.get(_TOGETHER_INFO_KEY)
    if not collected:
        return
    for task, items in list(collected.items()):
        kept = [(tx, item) for tx, item in items if not _within(tx, previous_transaction)]
        if kept:
            collected[task] = kept
        else:
            del collected[task]


@event.listens_for(Session, "before_commit")
def _write_collected_items(session: Session) -> None:
    collected = session.info.pop(_TOGETHER_INFO_KEY, None)
    if not collected:
        return
    now = utcnow()
    rows = [
        {
            "id": uuid.uuid4(),
            "task": task,
            "payload": {"items": [item for _tx, item in items]},
            "status": "pending",
            "attempts": 0,
            "available_at": now,
            "created_at": now,
        }
        for task, items in collected.items()
    ]
    # A Core INSERT, not an ORM object: the requests that publish events write through
    # Core, and one added object would make their commit run the unit of work's flush.
    session.execute(
        insert(cast(Table, OutboxMessage.__table__)), rows[0] if len(rows) == 1 else rows
    )


async def take_due(session: AsyncSession, task: str, *, limit: int) -> list[dict[str, Any]]:
    """For a handler that delivers in batches: claim up to ``limit`` more due messages of
    ``task`` in the caller's transaction, marked done there, and return their payloads.
    They commit or roll back with the caller's work (a worker that dies mid-batch leaves
    them pending). On PostgreSQL rows another worker holds are skipped."""
    stmt = (
        select(OutboxMessage)
        .where(
            OutboxMessage.task == task,
            OutboxMessage.status == "pending",
            OutboxMessage.available_at <= utcnow(),
            OutboxMessage.id != session.info.get(DELIVERING_INFO_KEY),
        )
        .order_by(OutboxMessage.available_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    taken = list(await session.scalars(stmt))
    now = utcnow()
    for message in taken:
        message.status = "done"
        message.attempts += 1
        message.completed_at = now
    return [dict(message.payload or {}) for message in taken]


def backoff_seconds(settings: Settings, attempts: int) -> float:
    return float(min(settings.outbox_backoff_base_seconds * 2 ** (attempts - 1), 3600.0))


async def deliver(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    message_id: uuid.UUID | None = None,
) -> str:
    """Deliver one outbox message: ``message_id``, or (None) the next due one no other
    worker holds. Returns its resulting status (``skipped``: nothing to deliver)."""
    async with sessionmaker() as session:
        stmt = select(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.available_at <= utcnow()
        )
        if message_id is not None:
            stmt = stmt.where(OutboxMessage.id == message_id)
        else:
            stmt = stmt.order_by(OutboxMessage.available_at).limit(1)
        if session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        message = await session.scalar(stmt)
        if message is None:
            return "skipped"
        message_id = message.id
        task = message.task  # the rollback below expires the row; keep what the log needs
        handler = _handlers.get(task)
        try:
            if handler is None:
                raise LookupError(f"no job handler registered for {task!r}")
            session.info[DELIVERING_INFO_KEY] = message_id
            with job_span(task, str(message_id), enabled=settings.opentelemetry):
                await handler(session, dict(message.payload or {}))
            message.status = "done"
            if (message.payload or {}).get("_sensitive"):
                # One-time codes and tokens do not outlive their delivery.
                message.payload = {"_sensitive": True, "scrubbed": True}
            message.attempts += 1
            message.completed_at = utcnow()
            message.last_error = None
            await commit(session)
            return "done"
        except Exception as exc:
            await session.rollback()
            error = f"{type(exc).__name__}: {exc}"[:2000]
            log.warning(
                "outbox delivery failed",
                extra={"task": task, "message_id": str(message_id), "error": error},
            )
    return await _record_failure(sessionmaker, settings, message_id, error)


async def _record_failure(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    message_id: uuid.UUID,
    error: str,
) -> str:
    async with sessionmaker() as session:
        message = await session.get(OutboxMessage, message_id)
        if message is None or message.status != "pending":
            return "skipped"
        message.attempts += 1
        message.last_error = error
        final = message.attempts >= settings.outbox_max_attempts
        JOBS_FAILED.labels(message.task, "true" if final else "false").inc()
        if final:
            message.status = "failed"
            log.error(
                "outbox message failed for good",
                extra={"task": message.task, "message_id": str(message_id)},
            )
        else:
            message.available_at = utcnow() + timedelta(
                seconds=backoff_seconds(settings, message.attempts)
            )
        await session.commit()
        return message.status


async def drain(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, *, limit: int = 100
) -> int:
    """Deliver due messages, oldest first, until none is left or ``limit`` deliveries
    were tried; returns how many succeeded. Workers draining side by side each take rows
    the others do not hold (PostgreSQL), and a handler may take more rows with its own
    (``take_due``)."""
    delivered = 0
    for _ in range(limit):
        status = await deliver(sessionmaker, settings)
        if status == "skipped":
            break
        if status == "done":
            delivered += 1
    return delivered


async def run_periodic(sessionmaker: async_sessionmaker[AsyncSession], name: str) -> None:
    periodic_job = _periodic[name]
    async with sessionmaker() as session:
        await periodic_job.handler(session)
        await commit(session)


def _dispatch_after_commit(session: AsyncSession) -> None:
    """Wake the dispatcher once this transaction commits: once, however many rows it
    wrote."""
    transaction = session.sync_session.get_transaction()
    if transaction is not None and session.info.get(_DISPATCHING_INFO_KEY) is transaction:
        return
    session.info[_DISPATCHING_INFO_KEY] = transaction

    async def dispatch() -> None:
        session.info.pop(_DISPATCHING_INFO_KEY, None)
        if _dispatch is not None:
            try:
                await _dispatch()
            except Exception:  # the periodic sweep delivers it later
                log.warning("outbox dispatch failed; left for the sweep", exc_info=True)

    run_after_commit(session, dispatch)


async def requeue_failed(session: AsyncSession, message_id: uuid.UUID) -> bool:
    """Put a failed message back in the queue (an operator's retry); it is dispatched
    after commit. False if there is no failed message with this id."""
    result = await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == "failed")
        .values(status="pending", attempts=0, available_at=utcnow(), last_error=None)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    _dispatch_after_commit(session)
    return True


async def get_message(session: AsyncSession, message_id: uuid.UUID) -> OutboxMessage | None:
    return await session.get(OutboxMessage, message_id, populate_existing=True)


async def list_messages(
    session: AsyncSession,
    *,
    status: str | None,
    offset: int,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None = None,
) -> tuple[list[OutboxMessage], int]:
    """Outbox messages, newest first, optionally of one status (for operators); with
    ``after`` (created_at, id), the ones that come after that message instead of an
    offset, so a page never repeats or skips one as new messages arrive."""
    stmt = select(OutboxMessage)
    if status is not None:
        stmt = stmt.where(OutboxMessage.status == status)
    total = await session.scalar(select(func.count()).select_from(stmt.subquery()))
    if after is not None:
        created_at, message_id = after
        stmt = stmt.where(
            or_(
                OutboxMessage.created_at < created_at,
                and_(OutboxMessage.created_at == created_at, OutboxMessage.id < message_id),
            )
        )
        offset = 0
    rows = await session.scalars(
        stmt.order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)
