"""Authentication: registration, login (with MFA), token rotation, logout, password
reset, email verification and MFA enrolment."""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.cache import STORE_ERRORS, Store
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal, denylist_key
from lms.core.errors import BadRequest, Conflict, RuleViolation, TooManyRequests, Unauthorized
from lms.core.security import (
    create_access_token,
    create_purpose_token,
    decode_token,
    decrypt_secret,
    encrypt_secret,
    new_opaque_token,
    sha256_hex,
)
from lms.core.session import commit
from lms.modules.auth import codes, repository
from lms.modules.auth.models import RefreshToken
from lms.modules.auth.schemas import (
    AuthResponse,
    MfaChallenge,
    MfaEnabled,
    MfaEnrollment,
    MfaMethod,
    TokenPair,
)
from lms.modules.emails import service as emails
from lms.modules.users import service as users
from lms.modules.users.schemas import UserRead

log = logging.getLogger("lms.auth")

# Purposes of single-use secrets; a secret of one purpose never works for another.
PASSWORD_RESET = "password_reset"  # noqa: S105
VERIFY_EMAIL = "verify_email"
MFA_LOGIN = "mfa_login"
MFA_ENABLE = "mfa_enable"

MFA_TOKEN_MINUTES = 10
PASSWORD_RESET_TASK = "auth.password_reset"  # noqa: S105


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    detail = "The email or password is wrong."


class InvalidMfaCode(Unauthorized):
    code = "invalid_mfa_code"
    detail = "The code is wrong, used or expired."


async def issue_tokens(
    session: AsyncSession,
    *,
    settings: Settings,
    user: users.User,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    access, _claims = create_access_token(settings, user_id=user.id, role=user.role)
    raw_refresh = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=user.id,
            token_jti=sha256_hex(raw_refresh),
            family_id=family_id or uuid.uuid4(),
            expires_at=utcnow() + timedelta(days=settings.refresh_token_days),
        )
    )
    await session.flush()
    return TokenPair(
        access_token=access,
        refresh_token=raw_refresh,
        expires_in=settings.access_token_minutes * 60,
    )


async def register(
    session: AsyncSession, *, settings: Settings, email: str, password: str, full_name: str
) -> AuthResponse:
    """Create a student account, queue the welcome and verification emails, sign in."""
    user = await users.create_user(
        session, settings=settings, email=email, password=password, full_name=full_name
    )
    await emails.queue_email(
        session, to=user.email, template="welcome", context={"full_name": user.full_name}
    )
    await send_verification_email(session, settings=settings, user=user)
    tokens = await issue_tokens(session, settings=settings, user=user)
    await users.record_login(session, user)
    return AuthResponse(**tokens.model_dump(), user=UserRead.model_validate(user))


# Login and lockout


def _failure_key(email: str, client: str) -> str:
    return f"loginfail:{sha256_hex(email.lower())}:{client}"


async def _check_login_delay(store: Store, email: str, client: str) -> None:
    """A growing delay per account and client after repeated failures: the attacker's
    own address slows down, the victim elsewhere and everyone else are unaffected."""
    raw = await store.get(_failure_key(email, client) + ":until")
    if raw is not None:
        remaining = float(raw) - utcnow().timestamp()
        if remaining > 0:
            raise TooManyRequests(
                int(remaining) + 1,
                "Too many failed logins for this account from your address; retry later.",
            )


async def _record_login_failure(store: Store, settings: Settings, email: str, client: str) -> None:
    window = settings.login_max_delay_seconds * 4
    failures, _ttl = await store.incr(_failure_key(email, client), window)
    over = failures - settings.login_failures_before_delay
    if over >= 0:
        delay = min(2**over, settings.login_max_delay_seconds)
        await store.set(
            _failure_key(email, client) + ":until", str(utcnow().timestamp() + delay), delay
        )


async def authenticate(
    session: AsyncSession,
    *,
    settings: Settings,
    store: Store,
    email: str,
    password: str,
    client: str,
) -> users.User:
    """The user for these credentials, or ``InvalidCredentials`` (same answer and the
    same bcrypt cost whether or not the email exists)."""
    # The lockout is a rate limit: with the store down it lets logins through (logged)
    # rather than failing them, like every other rate limit.
    try:
        await _check_login_delay(store, email, client)
    except STORE_ERRORS:
        log.warning("login lockout store unavailable; login allowed")
    user = await users.verify_credentials(session, email=email, password=password)
    if user is None:
        try:
            await _record_login_failure(store, settings, email, client)
        except STORE_ERRORS:
            log.warning("login lockout store unavailable; failure not counted")
        raise InvalidCredentials()
    try:
        await store.delete(_failure_key(email, client), _failure_key(email, client) + ":until")
    except STORE_ERRORS:
        log.warning("login lockout store unavailable; failures not cleared")
    return user


async def complete_login(
    session: AsyncSession, *, settings: Settings, user: users.User
) -> AuthResponse:
    tokens = await issue_tokens(session, settings=settings, user=user)
    await users.record_login(session, user)
    return AuthResponse(**tokens.model_dump(), user=UserRead.model_validate(user))


async def login_or_challenge(
    session: AsyncSession, *, settings: Settings, user: users.User
) -> AuthResponse | MfaChallenge:
    """Tokens, or an MFA challenge when the account has MFA on."""
    if user.mfa_enabled:
        return await start_mfa_challenge(session, settings=settings, user=user)
    return await complete_login(session, settings=settings, user=user)


async def login_without_mfa(
    session: AsyncSession, *, settings: Settings, user: users.User
) -> TokenPair:
    if user.mfa_enabled:
        raise Unauthorized(
            "This account uses MFA: sign in through /auth/login.", code="mfa_required"
        )
    response = await complete_login(session, settings=settings, user=user)
    return TokenPair(**response.model_dump(exclude={"user"}))


async def refresh(session: AsyncSession, *, settings: Settings, raw_token: str) -> TokenPair:
    """Rotate a refresh token. A token presented twice means it was stolen or replayed:
    the whole family is revoked and the caller must log in again."""
    now = utcnow()
    token = await repository.get_refresh_by_hash(session, sha256_hex(raw_token))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("The refresh token is invalid or expired.", code="refresh_invalid")
    if not await repository.mark_refresh_used(session, token.id, now):
        await repository.revoke_family(session, token.family_id, now)
        await commit(session)  # the revocation must stick although the request fails
        raise Unauthorized(
            "This refresh token was already used; the session has been revoked.",
            code="refresh_reused",
        )
    user = await users.get_user_or_raise(session, token.user_id)
    if not user.is_active:
        raise Unauthorized("The account is not active.", code="account_inactive")
    if user.tokens_valid_after is not None and token.created_at < user.tokens_valid_after:
        # Issued before a password change, reset or role change: that session has ended.
        raise Unauthorized("The session has ended; log in again.", code="refresh_invalid")
    return await issue_tokens(session, settings=settings, user=user, family_id=token.family_id)


async def logout(
    session: AsyncSession,
    *,
    store: Store,
    principal: Principal,
    raw_refresh: str | None,
) -> None:
    """End the session: the access token is denylisted until it expires and the refresh
    token's family is revoked (all of the user's refresh tokens if none is given)."""
    now = utcnow()
    ttl = int((principal.claims.expires_at - now).total_seconds()) + 1
    if ttl > 0:
        await store.set(denylist_key(principal.claims.jti), "1", ttl)
    token = (
        await repository.get_refresh_by_hash(session, sha256_hex(raw_refresh))
        if raw_refresh
        else None
    )
    if token is not None and token.user_id == principal.id:
        await repository.revoke_family(session, token.family_id, now)
    else:
        await repository.revoke_all_for_user(session, principal.id, now)


# MFA at login


async def start_mfa_challenge(
    session: AsyncSession, *, settings: Settings, user: users.User
) -> MfaChallenge:
    """Issue the short-lived ``mfa_token`` and, for email MFA, send a one-time code."""
    method = user.mfa_method or "email"
    if method == "email":
        await send_mfa_code(
            session, settings=settings, user=user, purpose=MFA_LOGIN, reuse_live=True
        )
    token = create_purpose_token(
        settings, subject=str(user.id), purpose="mfa", minutes=MFA_TOKEN_MINUTES
    )
    methods = [method]
    if await codes.count_recovery_codes(session, user_id=user.id):
        methods.append("recovery_code")
    return MfaChallenge(mfa_token=token, methods=methods)


async def send_mfa_code(
    session: AsyncSession,
    *,
    settings: Settings,
    user: users.User,
    purpose: str,
    reuse_live: bool = False,
) -> None:
    """Email a 6-digit code. Within the resend cooldown (or past the hourly cap) no new
    code goes out: with ``reuse_live`` the code already sent stays valid, otherwise the
    caller gets 429 with the wait."""
    wait = await codes.seconds_before_next(
        session, settings=settings, user_id=user.id, purpose=purpose
    )
    if wait:
        if reuse_live and await codes.has_live_code(
            session, settings=settings, user_id=user.id, purpose=purpose
        ):
            return
        raise TooManyRequests(wait, "A code was sent moments ago; retry later.")
    code = await codes.issue(
        session,
        settings=settings,
        user_id=user.id,
        purpose=purpose,
        ttl=timedelta(minutes=settings.otp_minutes),
        numeric=True,
    )
    await emails.queue_email(
        session,
        to=user.email,
        template="mfa_code",
        context={"full_name": user.full_name, "code": code, "minutes": settings.otp_minutes},
        sensitive=True,
    )


async def _verify_totp(
    session: AsyncSession, *, settings: Settings, user: users.User, code: str
) -> bool:
    secret = (
        decrypt_secret(settings, user.totp_secret_encrypted) if user.totp_secret_encrypted else None
    )
    step = codes.totp_step(secret, code) if secret else None
    # A code is good for one use only, even inside its 30-second window.
    return step is not None and await users.claim_totp_step(session, user=user, step=step)


async def _verify_second_factor(
    session: AsyncSession,
    *,
    settings: Settings,
    user: users.User,
    code: str,
    email_purpose: str | None,
) -> bool:
    """A recovery code, else a code of the user's method (email codes only when
    ``email_purpose`` says which)."""
    if codes.is_recovery_code(code):
        return await codes.use_recovery_code(session, settings=settings, user_id=user.id, code=code)
    if user.mfa_method == "totp":
        return await _verify_totp(session, settings=settings, user=user, code=code)
    if email_purpose is None:
        return False
    return await codes.verify_code(
        session, settings=settings, user_id=user.id, purpose=email_purpose, code=code
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
    user = await users.get_user(session, user_id)
    if user is None or not user.is_active or not user.mfa_enabled:
        raise Unauthorized("The token is invalid.", code="token_invalid")
    if (
        user.tokens_valid_after is not None
        and float(payload["iat"]) + 1 <= user.tokens_valid_after.timestamp()
    ):
        raise Unauthorized("The session has ended; log in again.", code="token_revoked")

    token_ttl = max(1, int(float(payload["exp"]) - utcnow().timestamp()) + 1)
    if not await _verify_second_factor(
        session, settings=settings, user=user, code=code, email_purpose=MFA_LOGIN
    ):
        await commit(session)  # the code's try counter must stick although the request fails
        failures, _ = await store.incr(f"mfa:fail:{payload['jti']}", token_ttl)
        if failures >= settings.otp_max_tries:
            await store.set(used_key, "1", token_ttl)
        raise InvalidMfaCode()
    claimed, _ = await store.incr(used_key, token_ttl)
    if claimed > 1:  # a parallel request finished this login first
        raise Unauthorized("This sign-in attempt is over; log in again.", code="mfa_token_used")
    return await complete_login(session, settings=settings, user=user)


# MFA enrolment


async def request_mfa_enrollment(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, method: MfaMethod
) -> MfaEnrollment:
    """Start turning MFA on: email a code, or create a TOTP secret for an app. Nothing
    changes for logins until the code is confirmed."""
    user = await users.get_user_or_raise(session, user_id)
    if user.mfa_enabled:
        raise Conflict(
            "MFA is already on; turn it off first to change the method.",
            code="mfa_already_enabled",
        )
    if method == "totp":
        secret = codes.new_totp_secret()
        await codes.revoke(session, user_id=user.id, purpose=MFA_ENABLE)
        await users.set_pending_totp_secret(
            session, user=user, encrypted_secret=encrypt_secret(settings, secret)
        )
        return MfaEnrollment(
            method="totp",
            detail="Add the secret to an authenticator app, then confirm with a code from it.",
            secret=secret,
            otpauth_uri=codes.totp_uri(secret, account=user.email),
        )
    await users.set_pending_totp_secret(session, user=user, encrypted_secret=None)
    await send_mfa_code(session, settings=settings, user=user, purpose=MFA_ENABLE)
    return MfaEnrollment(
        method="email", detail="A code was sent to your email address; confirm with it."
    )


async def confirm_mfa_enrollment(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID, code: str
) -> MfaEnabled:
    """Turn MFA on with a code of the requested method; returns fresh recovery codes."""
    user = await users.get_user_or_raise(session, user_id)
    if user.mfa_enabled:
        raise Conflict("MFA is already on.", code="mfa_already_enabled")
    method: MfaMethod
    if user.totp_secret_encrypted:
        method = "totp"
        ok = await _verify_totp(session, settings=settings, user=user, code=code)
    elif await codes.has_live_code(session, settings=settings, user_id=user.id, purpose=MFA_ENABLE):
        method = "email"
        ok = await codes.verify_code(
            session, settings=settings, user_id=user.id, purpose=MFA_ENABLE, code=code
        )
    else:
        raise RuleViolation(
            "No MFA set-up is pending (or its code has expired): start one with "
            "/auth/mfa/enable/request.",
            code="mfa_not_requested",
        )
    if not ok:
        await commit(session)  # count the try although the request fails
        raise RuleViolation("The code is wrong, used or expired.", code="invalid_code")
    await users.enable_mfa(session, user=user, method=method)
    recovery_codes = await codes.issue_recovery_codes(session, settings=settings, user_id=user.id)
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
    user = await users.get_user_or_raise(session, user_id)
    if not user.mfa_enabled:
        raise Conflict("MFA is not on.", code="mfa_not_enabled")
    if password is not None:
        ok = await users.check_password(user, password)
    else:
        ok = code is not None and await _verify_second_factor(
            session, settings=settings, user=user, code=code, email_purpose=None
        )
    if not ok:
        await commit(session)
        raise RuleViolation("The password or code is wrong.", code="wrong_password_or_code")
    await users.disable_mfa(session, user=user)
    for purpose in (codes.RECOVERY_PURPOSE, MFA_LOGIN, MFA_ENABLE):
        await codes.revoke(session, user_id=user.id, purpose=purpose)


# Password reset


async def request_password_reset(session: AsyncSession, *, email: str) -> None:
    """Queue the reset for ``email``. The request does the same work whether or not the
    account exists (one outbox row); the job looks the account up and emails it."""
    await jobs.enqueue(session, PASSWORD_RESET_TASK, {"email": email.lower()}, sensitive=True)


@jobs.job(PASSWORD_RESET_TASK)
async def send_password_reset(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Email a single-use reset token to an active account, at most once per cooldown
    and ``otp_max_per_hour`` an hour; unknown addresses get nothing."""
    settings = get_settings()
    user = await users.find_by_email(session, str(payload["email"]))
    if user is None or not user.is_active:
        return
    if await codes.seconds_before_next(
        session, settings=settings, user_id=user.id, purpose=PASSWORD_RESET
    ):
        return
    token = await codes.issue(
        session,
        settings=settings,
        user_id=user.id,
        purpose=PASSWORD_RESET,
        ttl=timedelta(minutes=settings.password_reset_minutes),
    )
    await emails.queue_email(
        session,
        to=user.email,
        template="password_reset",
        context={
            "full_name": user.full_name,
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
    user = await users.get_user(session, user_id) if user_id else None
    if user is None or not user.is_active:
        raise BadRequest(
            "The reset token is invalid, used or expired; ask for a new one.",
            code="reset_token_invalid",
        )
    await users.set_password(session, settings=settings, user=user, new_password=new_password)
    await repository.revoke_all_for_user(session, user.id, utcnow())
    await users.mark_email_verified(session, user)


# Email verification


async def send_verification_email(
    session: AsyncSession, *, settings: Settings, user: users.User
) -> None:
    """Email the user a single-use token that confirms their address."""
    token = await codes.issue(
        session,
        settings=settings,
        user_id=user.id,
        purpose=VERIFY_EMAIL,
        ttl=timedelta(hours=settings.email_verify_hours),
    )
    await emails.queue_email(
        session,
        to=user.email,
        template="email_verification",
        context={
            "full_name": user.full_name,
            "token": token,
            "verify_url": f"{settings.public_base_url}/verify-email?token={token}",
        },
        sensitive=True,
    )


async def request_email_verification(
    session: AsyncSession, *, settings: Settings, user_id: uuid.UUID
) -> None:
    """Send a new verification email (the previous token stops working)."""
    user = await users.get_user_or_raise(session, user_id)
    if user.email_verified_at is not None:
        raise Conflict("This email address is already verified.", code="email_already_verified")
    wait = await codes.seconds_before_next(
        session, settings=settings, user_id=user.id, purpose=VERIFY_EMAIL
    )
    if wait:
        raise TooManyRequests(wait, "A verification email was sent moments ago; retry later.")
    await send_verification_email(session, settings=settings, user=user)


async def confirm_email(session: AsyncSession, *, settings: Settings, token: str) -> users.User:
    """Mark the address of the token's user verified; the token is used up."""
    user_id = await codes.consume_token(
        session, settings=settings, purpose=VERIFY_EMAIL, token=token
    )
    user = await users.get_user(session, user_id) if user_id else None
    if user is None:
        raise BadRequest(
            "The verification token is invalid, used or expired; ask for a new one.",
            code="verify_token_invalid",
        )
    await users.mark_email_verified(session, user)
    return user


# Housekeeping


@jobs.periodic("auth.purge_expired", every_seconds=3600)
async def purge_expired(session: AsyncSession) -> None:
    """Drop codes and refresh tokens that expired more than a day ago."""
    await repository.purge_expired(session, utcnow() - timedelta(days=1))
