"""Queries of the webhooks module's tables."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.jobs import OutboxMessage
from lms.modules.webhooks.models import WebhookDelivery, WebhookEndpoint


async def get_endpoint(
    session: AsyncSession, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint | None:
    stmt = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if lock:
        stmt = stmt.with_for_update()
    endpoint: WebhookEndpoint | None = await session.scalar(stmt)
    return endpoint


async def list_endpoints(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[WebhookEndpoint], int]:
    total = await session.scalar(select(func.count()).select_from(WebhookEndpoint))
    rows = await session.scalars(
        select(WebhookEndpoint)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def enabled_filters(session: AsyncSession) -> list[list[str]]:
    """The event-type filter of every enabled endpoint."""
    rows = await session.scalars(
        select(WebhookEndpoint.event_types).where(WebhookEndpoint.enabled.is_(True))
    )
    return [list(filter_ or []) for filter_ in rows]


async def enabled_endpoints(session: AsyncSession) -> list[WebhookEndpoint]:
    return list(
        await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.enabled.is_(True))
            .order_by(WebhookEndpoint.created_at)
        )
    )


async def list_deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[WebhookDelivery], int]:
    where = WebhookDelivery.endpoint_id == endpoint_id
    total = await session.scalar(select(func.count()).select_from(WebhookDelivery).where(where))
    rows = await session.scalars(
        select(WebhookDelivery)
        .where(where)
        .order_by(WebhookDelivery.created_at.desc(), WebhookDelivery.id)
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def get_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, *, lock: bool = False
) -> WebhookDelivery | None:
    stmt = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    delivery: WebhookDelivery | None = await session.scalar(stmt)
    return delivery


async def pending_jobs(session: AsyncSession, tasks: tuple[str, ...]) -> dict[str, int]:
    """How many outbox jobs of each of ``tasks`` wait (on the outbox's status index)."""
    rows = await session.execute(
        select(OutboxMessage.task, func.count())
        .where(OutboxMessage.status == "pending", OutboxMessage.task.in_(tasks))
        .group_by(OutboxMessage.task)
    )
    counts = {task: 0 for task in tasks}
    counts.update({task: int(count) for task, count in rows.all()})
    return counts
