"""Multi-factor authentication: the second step of a login, and turning MFA on (email
codes or an authenticator app) and off. Recovery codes work wherever a code does."""

from __future__ import annotations

import uuid
from datetime import timedelta

from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import (
    Conflict,
    RuleViolation,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from lms.core.security import create_purpose_token, decode_token, decrypt_secret, encrypt_secret
from lms.modules import emails, users
from lms.modules.auth import codes
from lms.modules.auth.schemas import (
    AuthResponse,
    MfaChallenge,
    MfaEnabled,
    MfaEnrollment,
    MfaMethod,
)
from lms.modules.auth.service.tokens import complete_login

# Purposes of the single-use codes of MFA; a code of one purpose never works for another.
MFA_LOGIN = "mfa_login"
MFA_ENABLE = "mfa_enable"

MFA_TOKEN_MINUTES = 10


class InvalidMfaCode(Unauthorized):
    code = "invalid_mfa_code"
    detail = "The code is wrong, used or expired."


async def start_mfa_challenge(
    session: AsyncSession, *, settings: Settings, account: users.Account
) -> MfaChallenge:
    """Issue the short-lived ``mfa_token`` and, for email MFA, send a one-time code."""
    method = account.mfa_method or "email"
    if method == "email":
        await send_mfa_code(
            session, settings=settings, account=account, purpose=MFA_LOGIN, reuse_live=True
        )
    token = create_purpose_token(
        settings, subject=str(account.id), purpose="mfa", minutes=MFA_TOKEN_MINUTES
    )
    methods = [method]
    if await codes.count_recovery_codes(session, user_id=account.id):
        methods.append("recovery_code")
    return MfaChallenge(mfa_token=token, methods=methods)


async def send_mfa_code(
    session: AsyncSession,
    *,
    settings: Settings,
    account: users.Account,
    purpose: str,
    reuse_live: bool = False,
) -> None:
    """Email a 6-digit code. Within the resend cooldown (or past the hourly cap) no new
    code goes out: with ``reuse_live`` the code already sent stays valid, otherwise the
    caller gets 429 with the wait."""
    wait = await codes.seconds_before_next(
        session, settings=settings, user_id=account.id, purpose=purpose
    )
    if wait:
        if reuse_live and await codes.has_live_code(
            session, settings=settings, user_id=account.id, purpose=purpose
        ):
            return
        raise TooManyRequests(wait, "A code was sent moments ago; retry later.")
    code = await codes.issue(
        session,
        settings=settings,
        user_id=account.id,
        purpose=purpose,
        ttl=timedelta(minutes=settings.otp_minutes),
        numeric=True,
    )
    await emails.queue_email(
        session,
        to=account.email,
        template="mfa_code",
        context={"full_name": account.full_name, "code": code, "minutes": settings.otp_minutes},
        sensitive=True,
    )


async def _verify_totp(
    session: AsyncSession, *, settings: Settings, account: users.Account, code: str
) -> bool:
    encrypted = account.totp_secret_encrypted
    secret = decrypt_secret(settings, encrypted) if encrypted else None
    step = codes.totp_step(secret, code) if secret else None
    # A code is good for one use only, even inside its 30-second window.
    return step is not None and await users.claim_totp_step(session, user_id=account.id, step=step)


async def _verify_second_factor(
    session: AsyncSession,
    *,
    settings: Settings,
    account: users.Account,
    code: str,
    email_purpose: str | None,
) -> bool:
    """A recovery code, else a code of the user's method (email codes only when
    ``email_purpose`` says which)."""
    if codes.is_recovery_code(code):
        return await codes.use_recovery_code(
            session, settings=settings, user_id=account.id, code=code
        )
    if account.mfa_method == "totp":
        return await _verify_totp(session, settings=settings, account=account, code=code)
    if email_purpose is None:
        return False
    return await codes.verify_code(
        session, settings=settings, user_id=account.id, purpose=email_purpose, code=code
    )


async def login_with_mfa(
    session: AsyncSession, *, settings: Settings, store: Store, mfa_token: str, code: str
) -> AuthResponse:
    """Second step of a login with MFA: the ``mfa_token`` from ``/auth/login`` and a code.
    The token works once, and dies after ``otp_max_tries`` wrong codes."""
    payload = decode_token(settings, mfa_token, expected_type="mfa")
    used_key = f"mfa:done:{payload['jti']}"
    if await store.exists(used_key):
        raise Unauthorized("This sign-in attempt is over; log in again.", code="mfa_token_used")
    try:
        user_id = uuid.UUID(str(payload["sub"]))
    except ValueError as exc:
        raise Unauthorized("The token is invalid.", code="token_invalid") from exc
    account = await users.get_account(session, user_id)
    if account is None or not account.is_active or not account.mfa_enabled:
        raise Unauthorized("The token is invalid.", code="token_invalid")
    if (
        account.tokens_valid_after is not None
        and float(payload["iat"]) + 1 <= account.tokens_valid_after.timestamp()
    ):
        raise Unauthorized("The session has ended; log in again.", code="token_revoked")

    token_ttl = max(1, int(float(payload["exp"]) - utcnow().timestamp()) + 1)
    if not await _verify_second_factor(
        session, settings=settings, account=account, code=code, email_purpose=MFA_LOGIN
    ):
        # The code's try counter must stick although the request fails, Redis or not.
        try:
            failures, _ = await store.incr(f"mfa:fail:{payload['jti']}", token_ttl)
            if failures >= settings.otp_max_tries:
                await store.set(used_key, "1", token_ttl)
        except (RedisError, OSError) as exc:
            raise ServiceUnavailable(
                "A service this request needs is not available; retry shortly.",
                code="store_unavailable",
                headers={"Retry-After": "5"},
            ).keeping_changes() from exc
        raise InvalidMfaCode().keeping_changes()
    claimed, _ = await store.incr(used_key, token_ttl)
    if claimed > 1:  # a parallel request finished this login first
        raise Unauthorized("This sign-in attempt is over; log in again.", code="mfa_token_used")
    return await complete_login(session, settings=settings, account=account)


# MFA enrolment


async def request_mfa_enrollment(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, method: MfaMethod
) -> MfaEnrollment:
    """Start turning MFA on: email a code, or create a TOTP secret for an app. Nothing
    changes for logins until the code is confirmed."""
    account = await users.get_account_or_raise(session, user_id)
    if account.mfa_enabled:
        raise Conflict(
            "MFA is already on; turn it off first to change the method.",
            code="mfa_already_enabled",
        )
    if method == "totp":
        secret = codes.new_totp_secret()
        await codes.revoke(session, user_id=account.id, purpose=MFA_ENABLE)
        await users.set_pending_totp_secret(
            session, user_id=account.id, encrypted_secret=encrypt_secret(settings, secret)
        )
        return MfaEnrollment(
            method="totp",
            detail="Add the secret to an authenticator app, then confirm with a code from it.",
            secret=secret,
            otpauth_uri=codes.totp_uri(secret, account=account.email),
        )
    await users.set_pending_totp_secret(session, user_id=account.id, encrypted_secret=None)
    await send_mfa_code(session, settings=settings, account=account, purpose=MFA_ENABLE)
    return MfaEnrollment(
        method="email", detail="A code was sent to your email address; confirm with it."
    )


async def confirm_mfa_enrollment(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, code: str
) -> MfaEnabled:
    """Turn MFA on with a code of the requested method; returns fresh recovery codes."""
    account = await users.get_account_or_raise(session, user_id)
    if account.mfa_enabled:
        raise Conflict("MFA is already on.", code="mfa_already_enabled")
    method: MfaMethod
    if account.totp_secret_encrypted:
        method = "totp"
        ok = await _verify_totp(session, settings=settings, account=account, code=code)
    elif await codes.has_live_code(
        session, settings=settings, user_id=account.id, purpose=MFA_ENABLE
    ):
        method = "email"
        ok = await codes.verify_code(
            session, settings=settings, user_id=account.id, purpose=MFA_ENABLE, code=code
        )
    else:
        raise RuleViolation(
            "No MFA set-up is pending (or its code has expired): start one with "
            "/auth/mfa/enable/request.",
            code="mfa_not_requested",
        )
    if not ok:
        # Count the try although the request fails.
        raise RuleViolation(
            "The code is wrong, used or expired.", code="invalid_code"
        ).keeping_changes()
    await users.enable_mfa(session, user_id=account.id, method=method)
    recovery_codes = await codes.issue_recovery_codes(
        session, settings=settings, user_id=account.id
    )
    return MfaEnabled(method=method, recovery_codes=recovery_codes)


async def disable_mfa(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    password: str | None,
    code: str | None,
) -> None:
    """Turn MFA off, proven by the current password or a current code (authenticator
    app or recovery code)."""
    account = await users.get_account_or_raise(session, user_id)
    if not account.mfa_enabled:
        raise Conflict("MFA is not on.", code="mfa_not_enabled")
    if password is not None:
        ok = await users.check_password(session, user_id=account.id, password=password)
    else:
        ok = code is not None and await _verify_second_factor(
            session, settings=settings, account=account, code=code, email_purpose=None
        )
    if not ok:
        # As for every refused code: whatever checking it recorded stays.
        raise RuleViolation(
            "The password or code is wrong.", code="wrong_password_or_code"
        ).keeping_changes()
    await users.disable_mfa(session, user_id=account.id)
    await _forget_second_factor_codes(session, user_id=account.id)


async def _forget_second_factor_codes(session: AsyncSession, *, user_id: uuid.UUID) -> None:
    """The recovery codes and any emailed code of MFA, pending or not, stop working."""
    for purpose in (codes.RECOVERY_PURPOSE, MFA_LOGIN, MFA_ENABLE):
        await codes.revoke(session, user_id=user_id, purpose=purpose)


class OwnMfaThroughAdminRoute(RuleViolation):
    code = "mfa_own_account"
    detail = (
        "Turn off your own second factor with POST /auth/mfa/disable: it asks for your "
        "password or a code."
    )


class MfaNotEnabledForAccount(Conflict):
    code = "mfa_not_enabled"
    detail = "MFA is not on for this account: there is nothing to turn off."


async def disable_mfa_for_account(
    session: AsyncSession, *, admin: Principal, user_id: uuid.UUID, reason: str
) -> None:
    """An admin turns off another account's second factor (support: a lost phone).
    Everything the person's own ``disable_mfa`` removes goes too (the TOTP secret, the
    recovery codes, pending codes); besides, every session of the account ends and the
    person is told by email. Recorded with the admin as actor and the ``reason``. An
    admin's own account is refused: its route asks for proof, a stolen access token
    alone must not be enough."""
    if user_id == admin.id:
        raise OwnMfaThroughAdminRoute()
    account = await users.get_account_or_raise(session, user_id)
    if not account.mfa_enabled:
        raise MfaNotEnabledForAccount()
    await users.disable_mfa(session, user_id=account.id, reason=reason, end_all_sessions=True)
    await _forget_second_factor_codes(session, user_id=account.id)
    await emails.queue_email(
        session,
        to=account.email,
        template="mfa_disabled_by_admin",
        context={"full_name": account.full_name},
    )


async def confirm_identity(
    session: AsyncSession,
    *,
    settings: Settings,
    user_id: uuid.UUID,
    password: str | None,
    code: str | None,
) -> None:
    """Proof that the signed-in person is at the keyboard before an irreversible step:
    a current code of their second factor (authenticator or recovery code) when MFA is
    on, else their password. ``wrong_password_or_code`` (422) otherwise."""
    account = await users.get_account_or_raise(session, user_id)
    if account.mfa_enabled:
        ok = code is not None and await _verify_second_factor(
            session, settings=settings, account=account, code=code, email_purpose=None
        )
        detail = "A current code of your second factor is needed and this one is wrong."
    else:
        ok = password is not None and await users.check_password(
            session, user_id=account.id, password=password
        )
        detail = "The password is wrong."
    if not ok:
        raise RuleViolation(detail, code="wrong_password_or_code").keeping_changes()
