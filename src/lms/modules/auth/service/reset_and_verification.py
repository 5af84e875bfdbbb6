"""Password reset and email verification, each by a single-use token sent by email."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.errors import BadRequest, Conflict, TooManyRequests
from lms.modules import emails, users
from lms.modules.auth import codes, repository

# Purposes of the single-use tokens; a token of one purpose never works for another.
PASSWORD_RESET = "password_reset"  # noqa: S105
VERIFY_EMAIL = "verify_email"

PASSWORD_RESET_TASK = "auth.password_reset"  # noqa: S105


async def request_password_reset(session: AsyncSession, *, email: str) -> None:
    """Queue the reset for ``email``. The request does the same work whether or not the
    account exists (one outbox row); the job looks the account up and emails it."""
    await jobs.enqueue(session, PASSWORD_RESET_TASK, {"email": email.lower()}, sensitive=True)


@jobs.job(PASSWORD_RESET_TASK)
async def send_password_reset(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Email a single-use reset token to an active account, at most once per cooldown
    and ``otp_max_per_hour`` an hour; unknown addresses get nothing."""
    settings = get_settings()
    account = await users.find_account_by_email(session, str(payload["email"]))
    if account is None or not account.is_active:
        return
    if await codes.seconds_before_next(
        session, settings=settings, user_id=account.id, purpose=PASSWORD_RESET
    ):
        return
    token = await codes.issue(
        session,
        settings=settings,
        user_id=account.id,
        purpose=PASSWORD_RESET,
        ttl=timedelta(minutes=settings.password_reset_minutes),
    )
    await emails.queue_email(
        session,
        to=account.email,
        template="password_reset",
        context={
            "full_name": account.full_name,
            "token": token,
            "minutes": settings.password_reset_minutes,
            "reset_url": f"{settings.public_base_url}/reset-password?token={token}",
        },
        sensitive=True,
    )


async def reset_password(
    session: AsyncSession, *, settings: Settings, token: str, new_password: str
) -> None:
    """Set a new password with a reset token: the token is used up, every session of the
    user ends (access and refresh tokens), and the address counts as verified."""
    user_id = await codes.consume_token(
        session, settings=settings, purpose=PASSWORD_RESET, token=token
    )
    account = await users.get_account(session, user_id) if user_id else None
    if account is None or not account.is_active:
        raise BadRequest(
            "The reset token is invalid, used or expired; ask for a new one.",
            code="reset_token_invalid",
        )
    await users.set_password(
        session, settings=settings, user_id=account.id, new_password=new_password
    )
    await repository.revoke_all_for_user(session, account.id, utcnow())
    await users.mark_email_verified(session, user_id=account.id)


# Email verification


async def send_verification_email(
    session: AsyncSession, *, settings: Settings, account: users.Account
) -> None:
    """Email the user a single-use token that confirms their address."""
    token = await codes.issue(
        session,
        settings=settings,
        user_id=account.id,
        purpose=VERIFY_EMAIL,
        ttl=timedelta(hours=settings.email_verify_hours),
    )
    await emails.queue_email(
        session,
        to=account.email,
        template="email_verification",
        context={
            "full_name": account.full_name,
            "token": token,
            "verify_url": f"{settings.public_base_url}/verify-email?token={token}",
        },
        sensitive=True,
    )


async def request_email_verification(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID
) -> None:
    """Send a new verification email (the previous token stops working)."""
    account = await users.get_account_or_raise(session, user_id)
    if account.email_verified_at is not None:
        raise Conflict("This email address is already verified.", code="email_already_verified")
    wait = await codes.seconds_before_next(
        session, settings=settings, user_id=account.id, purpose=VERIFY_EMAIL
    )
    if wait:
        raise TooManyRequests(wait, "A verification email was sent moments ago; retry later.")
    await send_verification_email(session, settings=settings, account=account)


async def confirm_email(session: AsyncSession, *, settings: Settings, token: str) -> users.Account:
    """Mark the address of the token's user verified; the token is used up."""
    user_id = await codes.consume_token(
        session, settings=settings, purpose=VERIFY_EMAIL, token=token
    )
    account = await users.get_account(session, user_id) if user_id else None
    if account is None:
        raise BadRequest(
            "The verification token is invalid, used or expired; ask for a new one.",
            code="verify_token_invalid",
        )
    return await users.mark_email_verified(session, user_id=account.id)
