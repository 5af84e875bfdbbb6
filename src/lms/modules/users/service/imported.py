"""Accounts for bulk roster imports: matched by the hundred in one query, invited by the
hundred in one insert, their imported profiles updated in one statement per chunk."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.modules.users.models import User
from lms.modules.users.schemas import ImportedAccount, Invitee


async def find_imported_accounts(
    session: AsyncSession, *, emails: Sequence[str], external_ids: Sequence[str]
) -> list[ImportedAccount]:
    """Every account whose email (compared without case; ``emails`` in lower case) or
    external id is among those given, in one query (``ix_users_email_lower``)."""
    conditions = []
    if emails:
        conditions.append(func.lower(User.email).in_(list(emails)))
    if external_ids:
        conditions.append(User.external_id.in_(list(external_ids)))
    if not conditions:
        return []
    rows = await session.execute(
        select(
            User.id,
            User.email,
            User.full_name,
            User.external_id,
            User.role,
            User.is_active,
            User.password_hash.is_(None).label("invited"),
        ).where(or_(*conditions))
    )
    return [
        ImportedAccount(
            id=row.id,
            email=row.email,
            full_name=row.full_name,
            external_id=row.external_id,
            role=row.role,
            is_active=row.is_active,
            invited=bool(row.invited),
        )
        for row in rows
    ]


async def invite_users(session: AsyncSession, invitees: Sequence[Invitee]) -> set[uuid.UUID]:
    """Insert the invited accounts (active, no password) in one statement; an email or
    external id taken meanwhile by another transaction skips its row. Returns the ids
    inserted (the caller compares them with what it asked for)."""
    if not invitees:
        return set()
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    now = utcnow()
    result = await session.execute(
        dialect.insert(User).on_conflict_do_nothing().returning(User.id),
        [
            {
                "id": invitee.id,
                "email": invitee.email.lower(),
                "password_hash": None,
                "full_name": invitee.full_name,
                "external_id": invitee.external_id,
                "role": invitee.role,
                "is_active": True,
                "mfa_enabled": False,
                "created_at": now,
                "updated_at": now,
            }
            for invitee in invitees
        ],
    )
    return set(result.scalars())


async def update_imported_profiles(
    session: AsyncSession, changes: Sequence[tuple[uuid.UUID, str, str | None]]
) -> None:
    """Set (id, full_name, external_id) on each account, in one executemany UPDATE."""
    if not changes:
        return
    table = User.__table__
    await session.execute(
        update(table)
        .where(table.c.id == bindparam("user_id"))
        .values(
            full_name=bindparam("new_name"),
            external_id=bindparam("new_external_id"),
            updated_at=bindparam("now"),
        ),
        [
            {"user_id": user_id, "new_name": name, "new_external_id": external_id, "now": utcnow()}
            for user_id, name, external_id in changes
        ],
    )
