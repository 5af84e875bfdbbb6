"""Single-use secrets (reset tokens, verification tokens, one-time codes) at rest as
keyed hashes, bound to their purpose and user; only the latest per purpose is valid."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.security import keyed_hash, new_numeric_code, new_opaque_token
from lms.modules.auth.models import OneTimeCode


async def issue(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    purpose: str,
    ttl: timedelta,
    numeric: bool = False,
) -> str:
    now = utcnow()
    await session.execute(
        update(OneTimeCode)
        .where(
            OneTimeCode.user_id == user_id,
            OneTimeCode.purpose == purpose,
            OneTimeCode.consumed_at.is_(None),
        )
        .values(consumed_at=now)
    )
    secret = new_numeric_code() if numeric else new_opaque_token()
    session.add(
        OneTimeCode(
            user_id=user_id,
            purpose=purpose,
            code_hash=keyed_hash(settings, purpose, str(user_id) if numeric else "", secret),
            expires_at=now + ttl,
        )
    )
    await session.flush()
    return secret


async def consume_token(
    session: AsyncSession, *, settings: Settings, purpose: str, token: str
) -> uuid.UUID | None:
    """Consume an opaque token (not bound to a known user); returns its user id."""
    now = utcnow()
    row = await session.scalar(
        select(OneTimeCode).where(
            OneTimeCode.code_hash == keyed_hash(settings, purpose, "", token),
            OneTimeCode.purpose == purpose,
        )
    )
    if row is None or row.consumed_at is not None or row.expires_at <= now:
        return None
    claimed = await session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.id == row.id, OneTimeCode.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    return row.user_id if claimed.rowcount else None  # type: ignore[attr-defined]
