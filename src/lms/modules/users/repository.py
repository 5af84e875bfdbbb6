from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import Select, Subquery, Table, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.pagination import paginate
from lms.modules.users.models import User
from lms.modules.users.schemas import UserFilters


async def get(session: AsyncSession, user_id: uuid.UUID) -> User | None:
    return await session.get(User, user_id)


async def access_state(
    session: AsyncSession, user_id: uuid.UUID
) -> tuple[bool, str, datetime | None, str | None] | None:
    """What authorisation needs of an account: active, role, tokens valid after; and
    the account's locale (the language of its responses), read in the same row."""
    row = (
        await session.execute(
            select(User.is_active, User.role, User.tokens_valid_after, User.locale).where(
                User.id == user_id
            )
        )
    ).first()
    return (row[0], row[1], row[2], row[3]) if row is not None else None


async def get_many(session: AsyncSession, user_ids: list[uuid.UUID]) -> list[User]:
    if not user_ids:
        return []
    return list(await session.scalars(select(User).where(User.id.in_(user_ids))))


async def active_admins(session: AsyncSession) -> list[User]:
    return list(
        await session.scalars(
            select(User).where(User.role == "admin", User.is_active.is_(True)).order_by(User.email)
        )
    )


async def get_by_email(session: AsyncSession, email: str) -> User | None:
    if "\x00" in email:  # no stored address has one, and PostgreSQL refuses it in text
        return None
    result: User | None = await session.scalar(
        select(User).where(func.lower(User.email) == email.lower())
    )
    return result


def filtered(filters: UserFilters) -> Select[User]:
    stmt = select(User)
    if filters.role:
        stmt = stmt.where(User.role == filters.role)
    if filters.is_active is not None:
        stmt = stmt.where(User.is_active == filters.is_active)
    if filters.search:
        pattern = f"%{filters.search.lower()}%"
        stmt = stmt.where(
            or_(func.lower(User.email).like(pattern), func.lower(User.full_name).like(pattern))
        )
    return stmt


async def page(
    session: AsyncSession, filters: UserFilters, *, offset: int, limit: int
) -> tuple[list[User], int]:
    statement = filtered(filters).order_by(User.created_at, User.id)
    return await paginate(session, statement, offset=offset, limit=limit)


async def claim_totp_step(session: AsyncSession, user_id: uuid.UUID, step: int) -> bool:
    """Record ``step`` as the last accepted TOTP step unless it (or a later one) was
    already used; atomic, so two requests cannot both spend one code."""
    result = await session.execute(
        update(User)
        .where(
            User.id == user_id,
            or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def user_names() -> Subquery:
    # Table columns: a list statement built per request stays out of the ORM's handling.
    table = cast(Table, User.__table__)
    return select(table.c.id.label("user_id"), table.c.full_name, table.c.email).subquery(
        "user_names"
    )
