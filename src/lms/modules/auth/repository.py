from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.auth.models import OneTimeCode, RefreshToken


async def get_refresh_by_hash(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    result: RefreshToken | None = await session.scalar(
        select(RefreshToken).where(RefreshToken.token_jti == token_hash)
    )
    return result


async def mark_refresh_used(session: AsyncSession, token_id: uuid.UUID, now: datetime) -> bool:
    """Atomically claim a refresh token for rotation; False if it was already used."""
    result = await session.execute(
        update(RefreshToken)
        .where(
            RefreshToken.id == token_id,
            RefreshToken.used_at.is_(None),
            RefreshToken.revoked_at.is_(None),
        )
        .values(used_at=now)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def revoke_family(session: AsyncSession, family_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


async def revoke_all_for_user(session: AsyncSession, user_id: uuid.UUID, now: datetime) -> None:
    await session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


# One-time codes and tokens


async def add_codes(session: AsyncSession, codes: list[OneTimeCode]) -> None:
    session.add_all(codes)
    await session.flush()


async def revoke_codes(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, now: datetime
) -> None:
    """Consume every unused code of this user and purpose (only the newest is valid)."""
    await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )


def _live(
    user_id: uuid.UUID, purpose: str, now: datetime, max_tries: int
) -> list[ColumnElement[bool]]:
    return [
        OneTimeCode.user_id == user_id,
        OneTimeCode.purpose == purpose,
        OneTimeCode.consumed_at.is_(None),
        OneTimeCode.expires_at > now,
        OneTimeCode.attempts < max_tries,
    ]


async def latest_live_code(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, now: datetime, max_tries: int
) -> OneTimeCode | None:
    result: OneTimeCode | None = await session.scalar(
        select(OneTimeCode)
        .where(*_live(user_id, purpose, now, max_tries))
        .order_by(OneTimeCode.created_at.desc())
        .limit(1)
    )
    return result


async def live_codes(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, now: datetime, max_tries: int
) -> list[OneTimeCode]:
    return list(
        await session.scalars(select(OneTimeCode).where(*_live(user_id, purpose, now, max_tries)))
    )


async def issued_since(
    session: AsyncSession, user_id: uuid.UUID, purpose: str, since: datetime
) -> tuple[int, datetime | None]:
    """How many codes of this purpose were issued since ``since``, and when the oldest of
    them was (for the hourly cap)."""
    row = (
        await session.execute(
            select(func.count(OneTimeCode.id), func.min(OneTimeCode.created_at)).where(
                OneTimeCode.user_id == user_id,
                OneTimeCode.purpose == purpose,
                OneTimeCode.created_at > since,
            )
        )
    ).one()
    count, oldest = row
    return int(count or 0), oldest


async def get_code_by_hash(
    session: AsyncSession, code_hash: str, purpose: str
) -> OneTimeCode | None:
    result: OneTimeCode | None = await session.scalar(
        select(OneTimeCode).where(
            OneTimeCode.code_hash == code_hash, OneTimeCode.purpose == purpose
        )
    )
    return result


async def claim_attempt(session: AsyncSession, code_id: uuid.UUID, max_tries: int) -> bool:
    """Count one try against a code; False once it has had ``max_tries`` (it is dead).
    Atomic, so parallel guesses cannot exceed the budget."""
    result = await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.id == code_id,
            OneTimeCode.consumed_at.is_(None),
            OneTimeCode.attempts < max_tries,
        )
        .values(attempts=OneTimeCode.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def consume_code(session: AsyncSession, code_id: uuid.UUID, now: datetime) -> bool:
    """Mark a code used; False if another request used it first."""
    result = await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == code_id, OneTimeCode.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def purge_expired(session: AsyncSession, before: datetime) -> None:
    """Drop codes and refresh tokens that expired before ``before``."""
    await session.execute(delete(OneTimeCode).where(OneTimeCode.expires_at < before))
    await session.execute(delete(RefreshToken).where(RefreshToken.expires_at < before))
