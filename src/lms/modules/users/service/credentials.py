"""What proves who a user is: the password, the second factor's state (MFA on or off,
its method, the TOTP secret and the last TOTP step spent), the verified address and the
last login. Authentication asks and records these by user id; the rules of signing in
live in the auth module."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.errors import RuleViolation
from lms.core.security import hash_password, verify_password
from lms.modules.users import repository
from lms.modules.users.events import UserMfaDisabled
from lms.modules.users.models import User
from lms.modules.users.schemas import Account, PasswordChange
from lms.modules.users.service.accounts import account_of, end_sessions, get_user_or_raise


async def verify_credentials(session: AsyncSession, *, email: str, password: str) -> Account | None:
    """The active account with this email and password, else None. An unknown email
    costs the same bcrypt time as a wrong password, so timing does not reveal accounts."""
    user = await repository.get_by_email(session, email)
    ok = await verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        return None
    return account_of(session, user)


async def check_password(session: AsyncSession, *, user_id: uuid.UUID, password: str) -> bool:
    """Whether ``password`` is the current password of the user ``user_id``."""
    user = await get_user_or_raise(session, user_id)
    return await verify_password(password, user.password_hash)


async def _set_password(
    session: AsyncSession, *, settings: Settings, user: User, password: str
) -> None:
    user.password_hash = await hash_password(password, settings.bcrypt_rounds)
    end_sessions(user)
    await session.flush()


async def set_password(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, new_password: str
) -> None:
    """Replace the user's password; every session of theirs ends."""
    user = await get_user_or_raise(session, user_id)
    await _set_password(session, settings=settings, user=user, password=new_password)


async def change_password(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, data: PasswordChange
) -> User:
    """The user's own password change, proven by the current one."""
    user = await get_user_or_raise(session, user_id)
    if not await verify_password(data.current_password, user.password_hash):
        raise RuleViolation("The current password is wrong.", code="wrong_password")
    await _set_password(session, settings=settings, user=user, password=data.new_password)
    return user


async def record_login(session: AsyncSession, *, user_id: uuid.UUID) -> Account:
    """Note the sign-in time; the account as it is now."""
    user = await get_user_or_raise(session, user_id)
    user.last_login_at = utcnow()
    await session.flush()
    return account_of(session, user)


async def mark_email_verified(session: AsyncSession, *, user_id: uuid.UUID) -> Account:
    """The user's address counts as verified from now (if it did not already); the
    account as it is now."""
    user = await get_user_or_raise(session, user_id)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
        await session.flush()
    return account_of(session, user)


async def set_pending_totp_secret(
    session: AsyncSession, *, user_id: uuid.UUID, encrypted_secret: str | None
) -> None:
    """Keep (or drop) a TOTP secret awaiting confirmation; MFA stays as it is."""
    user = await get_user_or_raise(session, user_id)
    user.totp_secret_encrypted = encrypted_secret
    user.totp_last_step = None
    await session.flush()


async def enable_mfa(session: AsyncSession, *, user_id: uuid.UUID, method: str) -> None:
    """Turn MFA on with ``method`` (``email`` or ``totp``, whose secret is pending)."""
    if method not in ("email", "totp"):
        raise ValueError(f"unknown MFA method {method!r}")
    user = await get_user_or_raise(session, user_id)
    user.mfa_enabled = True
    user.mfa_method = method
    if method == "email":
        user.totp_secret_encrypted = None
        user.totp_last_step = None
    await session.flush()


async def disable_mfa(
    session: AsyncSession,
    *,
    user_id: uuid.UUID,
    reason: str | None = None,
    end_all_sessions: bool = False,
) -> None:
    """Turn MFA off and forget the TOTP secret. An admin's change gives its ``reason``
    (kept in the event) and ends every session of the account (``end_all_sessions``),
    as a password change, a role change or a deactivation does."""
    user = await get_user_or_raise(session, user_id)
    was_enabled, method_before = user.mfa_enabled, user.mfa_method
    user.mfa_enabled = False
    user.mfa_method = None
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    if end_all_sessions:
        end_sessions(user)
    await session.flush()
    if was_enabled:
        await events.publish(
            session,
            UserMfaDisabled(user_id=user.id, method_before=method_before, reason=reason),
        )


async def claim_totp_step(session: AsyncSession, *, user_id: uuid.UUID, step: int) -> bool:
    """Accept TOTP time step ``step`` once: False if it or a later step was used."""
    claimed = await repository.claim_totp_step(session, user_id, step)
    loaded = session.identity_map.get(identity_key(User, user_id))  # no statement
    if claimed and loaded is not None:
        # The update bypassed the object: keep it in step, or a later change to the
        # step would compare with a stale value and be skipped.
        set_committed_value(loaded, "totp_last_step", step)
    return claimed
