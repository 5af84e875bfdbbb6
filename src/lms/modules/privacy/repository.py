"""Queries of data exports and erasure requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.privacy.models import DataExport, ErasureRequest


async def get_export(session: AsyncSession, export_id: uuid.UUID) -> DataExport | None:
    return await session.get(DataExport, export_id)


async def unfinished_export(session: AsyncSession, account_id: uuid.UUID) -> DataExport | None:
    result: DataExport | None = await session.scalar(
        select(DataExport)
        .where(DataExport.account_id == account_id, DataExport.state.in_(("queued", "running")))
        .limit(1)
    )
    return result


async def exports_past(session: AsyncSession, now: datetime, limit: int) -> list[DataExport]:
    return list(
        await session.scalars(
            select(DataExport)
            .where(DataExport.state == "ready", DataExport.expires_at <= now)
            .order_by(DataExport.expires_at)
            .limit(limit)
        )
    )


async def latest_erasure(session: AsyncSession, account_id: uuid.UUID) -> ErasureRequest | None:
    result: ErasureRequest | None = await session.scalar(
        select(ErasureRequest)
        .where(ErasureRequest.account_id == account_id)
        .order_by(ErasureRequest.requested_at.desc(), ErasureRequest.id.desc())
        .limit(1)
    )
    return result


async def scheduled_erasure(session: AsyncSession, account_id: uuid.UUID) -> ErasureRequest | None:
    result: ErasureRequest | None = await session.scalar(
        select(ErasureRequest).where(
            ErasureRequest.account_id == account_id, ErasureRequest.state == "scheduled"
        )
    )
    return result


async def due_erasures(session: AsyncSession, now: datetime, limit: int) -> list[ErasureRequest]:
    stmt = (
        select(ErasureRequest)
        .where(ErasureRequest.state == "scheduled", ErasureRequest.due_at <= now)
        .order_by(ErasureRequest.due_at)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    return list(await session.scalars(stmt))
