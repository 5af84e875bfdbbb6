"""Second factors and single-use secrets.

Emailed secrets (reset tokens, verification tokens, 6-digit codes) and recovery codes are
stored as keyed hashes bound to their purpose and user; only the newest emailed secret
per user and purpose is valid, and a code dies after ``otp_max_tries`` wrong tries.
Codes and recovery codes are hashed with their row id as well, so equal codes of one
user never collide. TOTP (RFC 6238) accepts the step before and after the current one,
and the caller refuses a step that was already used.
"""

from __future__ import annotations

import math
import secrets
import time
import uuid
from datetime import timedelta

import pyotp
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.security import (
    constant_time_equal,
    keyed_hash,
    new_numeric_code,
    new_opaque_token,
)
from lms.modules.auth import repository
from lms.modules.auth.models import OneTimeCode

RECOVERY_PURPOSE = "mfa_recovery"
RECOVERY_CODE_COUNT = 10
# Recovery codes live until MFA is turned off or re-enabled (which replaces them).
RECOVERY_CODE_LIFETIME = timedelta(days=3650)
TOTP_ISSUER = "LMS"
HOUR = timedelta(hours=1)


def _code_hash(
    settings: Settings, purpose: str, user_id: uuid.UUID, row_id: uuid.UUID, code: str
) -> str:
    return keyed_hash(settings, purpose, str(user_id), str(row_id), code)


def _token_hash(settings: Settings, purpose: str, token: str) -> str:
    # A token arrives without its user (a link in an email), so it is found by its hash.
    return keyed_hash(settings, purpose, "", token)


async def issue(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    purpose: str,
    ttl: timedelta,
    numeric: bool = False,
) -> str:
    """A new secret for ``purpose``; every older one of this user for it stops working.
    ``numeric`` gives a 6-digit code (checked with the user known), otherwise an opaque
    token (found by its hash)."""
    now = utcnow()
    await repository.revoke_codes(session, user_id, purpose, now)
    row_id = uuid.uuid4()
    if numeric:
        secret = new_numeric_code()
        code_hash = _code_hash(settings, purpose, user_id, row_id, secret)
    else:
        secret = new_opaque_token()
        code_hash = _token_hash(settings, purpose, secret)
    await repository.add_codes(
        session,
        [
            OneTimeCode(
                id=row_id,
                user_id=user_id,
                purpose=purpose,
                code_hash=code_hash,
                expires_at=now + ttl,
                created_at=now,
            )
        ],
    )
    return secret


async def seconds_before_next(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, purpose: str
) -> int:
    """How long before another secret of ``purpose`` may be emailed to this user: a
    resend cooldown while the last one is still usable, and a cap per hour. 0 when one
    may be sent now. (A used or dead code does not hold back the next one.)"""
    now = utcnow()
    wait = 0.0
    live = await repository.latest_live_code(session, user_id, purpose, now, settings.otp_max_tries)
    if live is not None:
        cooldown_ends = live.created_at + timedelta(seconds=settings.otp_resend_seconds)
        wait = max(wait, (cooldown_ends - now).total_seconds())
    count, oldest = await repository.issued_since(session, user_id, purpose, now - HOUR)
    if count >= settings.otp_max_per_hour and oldest is not None:
        wait = max(wait, (oldest + HOUR - now).total_seconds())
    return max(0, math.ceil(wait))


async def has_live_code(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, purpose: str
) -> bool:
    row = await repository.latest_live_code(
        session, user_id, purpose, utcnow(), settings.otp_max_tries
    )
    return row is not None


async def verify_code(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, purpose: str, code: str
) -> bool:
    """Check a 6-digit code against the newest live one and use it up if it matches.

    Every try is counted first (the caller commits the count even when the request then
    fails), so a code survives at most ``otp_max_tries`` guesses."""
    now = utcnow()
    row = await repository.latest_live_code(session, user_id, purpose, now, settings.otp_max_tries)
    if row is None or not await repository.claim_attempt(session, row.id, settings.otp_max_tries):
        return False
    candidate = _code_hash(settings, purpose, user_id, row.id, code)
    if not constant_time_equal(candidate, row.code_hash):
        return False
    return await repository.consume_code(session, row.id, now)


async def consume_token(
    session: AsyncSession, *, settings: Settings, purpose: str, token: str
) -> uuid.UUID | None:
    """Use up an opaque token of ``purpose``; its user's id, or None if it is unknown,
    used, superseded or expired."""
    now = utcnow()
    row = await repository.get_code_by_hash(session, _token_hash(settings, purpose, token), purpose)
    if row is None or row.consumed_at is not None or row.expires_at <= now:
        return None
    return row.user_id if await repository.consume_code(session, row.id, now) else None


async def revoke(session: AsyncSession, *, user_id: uuid.UUID, purpose: str) -> None:
    """Every unused secret of this user for ``purpose`` stops working."""
    await repository.revoke_codes(session, user_id, purpose, utcnow())


# Recovery codes


def _normalize_recovery(code: str) -> str:
    return code.strip().lower().replace(" ", "").replace("-", "")


async def issue_recovery_codes(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID
) -> list[str]:
    """A fresh set of single-use recovery codes (shown once); older ones stop working."""
    now = utcnow()
    await repository.revoke_codes(session, user_id, RECOVERY_PURPOSE, now)
    shown, rows = [], []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5)  # 40 bits, behind the password and the rate limits
        row_id = uuid.uuid4()
        rows.append(
            OneTimeCode(
                id=row_id,
                user_id=user_id,
                purpose=RECOVERY_PURPOSE,
                code_hash=_code_hash(settings, RECOVERY_PURPOSE, user_id, row_id, raw),
                expires_at=now + RECOVERY_CODE_LIFETIME,
                created_at=now,
            )
        )
        shown.append(f"{raw[:5]}-{raw[5:]}")
    await repository.add_codes(session, rows)
    return shown


async def use_recovery_code(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, code: str
) -> bool:
    """Use up one recovery code if ``code`` is one of the user's unused ones."""
    now = utcnow()
    normalized = _normalize_recovery(code)
    rows = await repository.live_codes(session, user_id, RECOVERY_PURPOSE, now, max_tries=1)
    match = None
    for row in rows:  # compare with every one, so the time does not tell which matched
        if constant_time_equal(
            _code_hash(settings, RECOVERY_PURPOSE, user_id, row.id, normalized), row.code_hash
        ):
            match = row
    return match is not None and await repository.consume_code(session, match.id, now)


async def count_recovery_codes(session: AsyncSession, *, user_id: uuid.UUID) -> int:
    return len(await repository.live_codes(session, user_id, RECOVERY_PURPOSE, utcnow(), 1))


def is_recovery_code(code: str) -> bool:
    """Recovery codes look different from 6-digit codes: 10 hex characters."""
    normalized = _normalize_recovery(code)
    return len(normalized) == 10 and all(c in "0123456789abcdef" for c in normalized)


# TOTP


def new_totp_secret() -> str:
    return pyotp.random_base32()


def totp_uri(secret: str, *, account: str) -> str:
    """The ``otpauth://`` URI authenticator apps read (usually as a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=account, issuer_name=TOTP_ISSUER)


def totp_step(secret: str, code: str) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), else None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(time.time())
    found = None
    for step in (current - 1, current, current + 1):  # valid_window=1, no early exit
        if constant_time_equal(totp.generate_otp(step), code):
            found = step
    return found
