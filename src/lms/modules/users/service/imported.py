"""Accounts for bulk roster imports: matched by the hundred in one query, invited by the
hundred in one insert, their imported profiles updated in one statement per chunk."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import DateTime, String, Table, Text, Uuid, bindparam, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow, where_one_of
from lms.modules.users.models import User
from lms.modules.users.schemas import ImportedAccount, Invitee

USERS = cast(Table, User.__table__)


async def find_imported_accounts(
    session: AsyncSession, *, emails: Sequence[str], external_ids: Sequence[str]
) -> list[ImportedAccount]:
    """Every account whose email (compared without case; ``emails`` in lower case) or
    external id is among those given: one index probe per value
    (``ix_users_email_lower``, ``uq_users_external_id``)."""
    columns = select(
        USERS.c.id,
        USERS.c.email,
        USERS.c.full_name,
        USERS.c.external_id,
        USERS.c.role,
        USERS.c.is_active,
        USERS.c.password_hash.is_(None).label("invited"),
    ).select_from(USERS)
    dialect = session.get_bind().dialect.name
    rows: dict[uuid.UUID, Any] = {}
    for expression, values in (
        (func.lower(USERS.c.email), emails),
        (USERS.c.external_id, external_ids),
    ):
        if values:
            statement = where_one_of(columns, expression, values, String(), dialect=dialect)
            rows.update((row.id, row) for row in await session.execute(statement))
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
        for row in rows.values()
    ]


async def invite_users(session: AsyncSession, invitees: Sequence[Invitee]) -> set[uuid.UUID]:
    """Insert the invited accounts (active, no password) in one statement; an email or
    external id taken meanwhile by another transaction skips its row. Returns the ids
    inserted (the caller compares them with what it asked for)."""
    if not invitees:
        return set()
    now = utcnow()
    if session.get_bind().dialect.name == "postgresql":
        # One array per column: a parameter each whatever the number of rows.
        result = await session.execute(
            _INVITE_POSTGRESQL,
            {
                "now": now,
                "ids": [invitee.id for invitee in invitees],
                "emails": [invitee.email.lower() for invitee in invitees],
                "names": [invitee.full_name for invitee in invitees],
                "external_ids": [invitee.external_id for invitee in invitees],
                "roles": [invitee.role for invitee in invitees],
            },
        )
        return set(result.scalars())
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    result = await session.execute(
        # The table, not the entity: the ORM's bulk insert would split the rows into
        # one statement per run of rows with the same non-null columns.
        dialect.insert(USERS).on_conflict_do_nothing().returning(USERS.c.id),
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


_INVITE_POSTGRESQL = text(
    "INSERT INTO users (id, email, password_hash, full_name, external_id, role, is_active, "
    "mfa_enabled, created_at, updated_at) "
    "SELECT id, email, NULL, full_name, external_id, role, true, false, :now, :now "
    "FROM unnest(CAST(:ids AS uuid[]), CAST(:emails AS text[]), CAST(:names AS text[]), "
    "CAST(:external_ids AS text[]), CAST(:roles AS text[])) "
    "AS rows (id, email, full_name, external_id, role) "
    "ON CONFLICT DO NOTHING RETURNING id"
).bindparams(
    bindparam("now", type_=DateTime(timezone=True)),
    bindparam("ids", type_=ARRAY(Uuid())),
    bindparam("emails", type_=ARRAY(Text())),
    bindparam("names", type_=ARRAY(Text())),
    bindparam("external_ids", type_=ARRAY(Text())),
    bindparam("roles", type_=ARRAY(Text())),
)


async def update_imported_profiles(
    session: AsyncSession, changes: Sequence[tuple[uuid.UUID, str, str | None]]
) -> None:
    """Set (id, full_name, external_id) on each account, in one executemany UPDATE."""
    if not changes:
        return
    table = USERS
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
