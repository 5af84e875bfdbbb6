"""The audit table's statements: appending, reading newest first, and the two
maintenance writes (retention, erasure of client addresses), which open the trigger's
bypass for their own transaction only."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, delete, func, insert, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.audit.models import AuditEntry
from lms.modules.audit.schemas import AuditFilters


async def append(session: AsyncSession, values: dict[str, Any]) -> None:
    """One entry, one statement (a subscriber's write in the request's transaction)."""
    await session.execute(insert(AuditEntry).values(id=uuid.uuid4(), **values))


def _filtered(filters: AuditFilters) -> Select[AuditEntry]:
    statement = select(AuditEntry)
    if filters.course_id is not None:
        statement = statement.where(AuditEntry.course_id == filters.course_id)
    if filters.actor_id is not None:
        statement = statement.where(AuditEntry.actor_id == filters.actor_id)
    if filters.target_type is not None:
        statement = statement.where(AuditEntry.target_type == filters.target_type)
    if filters.target_id is not None:
        statement = statement.where(AuditEntry.target_id == filters.target_id)
    if filters.action is not None:
        statement = statement.where(AuditEntry.action == filters.action)
    if filters.occurred_from is not None:
        statement = statement.where(AuditEntry.occurred_at >= filters.occurred_from)
    if filters.occurred_to is not None:
        statement = statement.where(AuditEntry.occurred_at < filters.occurred_to)
    return statement


async def list_entries(
    session: AsyncSession,
    filters: AuditFilters,
    *,
    offset: int,
    limit: int,
    after: tuple[datetime, uuid.UUID] | None,
) -> tuple[list[AuditEntry], int]:
    """Entries newest first; after ``(occurred_at, id)`` instead of an offset when
    given, so a page never repeats or skips one as entries are added."""
    statement = _filtered(filters)
    total = await session.scalar(select(func.count()).select_from(statement.subquery()))
    if after is not None:
        occurred_at, entry_id = after
        statement = statement.where(
            or_(
                AuditEntry.occurred_at < occurred_at,
                and_(AuditEntry.occurred_at == occurred_at, AuditEntry.id < entry_id),
            )
        )
        offset = 0
    rows = await session.scalars(
        statement.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(rows), int(total or 0)


async def entries_about(session: AsyncSession, account_id: uuid.UUID) -> list[AuditEntry]:
    """Entries where the account is the actor, the account acted as, or the target."""
    rows = await session.scalars(
        select(AuditEntry)
        .where(
            or_(
                AuditEntry.actor_id == account_id,
                AuditEntry.acting_for_id == account_id,
                and_(AuditEntry.target_type == "user", AuditEntry.target_id == account_id),
            )
        )
        .order_by(AuditEntry.occurred_at, AuditEntry.id)
    )
    return list(rows)


async def allow_maintenance(session: AsyncSession) -> None:
    """Let this transaction (only) change existing entries: the trigger on PostgreSQL
    lets an ``UPDATE`` or ``DELETE`` through when ``lms.audit_maintenance`` is on.
    ``SET LOCAL`` ends with the transaction."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SET LOCAL lms.audit_maintenance = 'on'"))


async def delete_older_than(session: AsyncSession, cutoff: datetime) -> int:
    await allow_maintenance(session)
    result = await session.execute(
        delete(AuditEntry)
        .where(AuditEntry.occurred_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def forget_client_addresses(session: AsyncSession, account_id: uuid.UUID) -> int:
    await allow_maintenance(session)
    result = await session.execute(
        update(AuditEntry)
        .where(
            or_(AuditEntry.actor_id == account_id, AuditEntry.acting_for_id == account_id),
            AuditEntry.client_address.is_not(None),
        )
        .values(client_address=None)
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)
