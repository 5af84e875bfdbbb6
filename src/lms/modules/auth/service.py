"""Authentication: registration, login (with MFA), token rotation and logout."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal, denylist_key
from lms.core.errors import TooManyRequests, Unauthorized
from lms.core.security import (
    create_access_token,
    create_purpose_token,
    new_opaque_token,
    sha256_hex,
    verify_password,
)
from lms.modules.auth import codes, repository
from lms.modules.auth.models import RefreshToken
from lms.modules.auth.schemas import AuthResponse, MfaChallenge, TokenPair
from lms.modules.emails import service as emails
from lms.modules.users import service as users
from lms.modules.users.models import User
from lms.modules.users.schemas import UserRead


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    detail = "The email or password is wrong."


async def issue_tokens(
    session: AsyncSession,
    *,
    settings: Settings,
    user: User,
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


async def send_verification_email(session: AsyncSession, *, settings: Settings, user: User) -> None:
    """Email the user a single-use token that confirms their address."""
    token = await codes.issue(
        session,
        settings=settings,
        user_id=user.id,
        purpose="verify_email",
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


def _failure_key(email: str, client: str) -> str:
    return f"loginfail:{sha256_hex(email.lower())}:{client}"


async def _check_login_delay(store: Store, settings: Settings, email: str, client: str) -> None:
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


async def _record_failure(store: Store, settings: Settings, email: str, client: str) -> None:
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
) -> User:
    """The user for these credentials, or ``InvalidCredentials`` (same answer and the
    same bcrypt cost whether or not the email exists)."""
    await _check_login_delay(store, settings, email, client)
    user = await users.find_by_email(session, email)
    ok = await verify_password(password, user.password_hash if user else None)
    if not ok or user is None or not user.is_active:
        await _record_failure(store, settings, email, client)
        raise InvalidCredentials()
    await store.delete(_failure_key(email, client), _failure_key(email, client) + ":until")
    return user


async def complete_login(session: AsyncSession, *, settings: Settings, user: User) -> AuthResponse:
    tokens = await issue_tokens(session, settings=settings, user=user)
    await users.record_login(session, user)
    return AuthResponse(**tokens.model_dump(), user=UserRead.model_validate(user))


async def refresh(session: AsyncSession, *, settings: Settings, raw_token: str) -> TokenPair:
    """Rotate a refresh token. A token presented twice means it was stolen or replayed:
    the whole family is revoked and the caller must log in again."""
    now = utcnow()
    token = await repository.get_refresh_by_hash(session, sha256_hex(raw_token))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("The refresh token is invalid or expired.", code="refresh_invalid")
    if not await repository.mark_refresh_used(session, token.id, now):
        await repository.revoke_family(session, token.family_id, now)
        await session.commit()  # the revocation must stick although the request fails
        raise Unauthorized(
            "This refresh token was already used; the session has been revoked.",
            code="refresh_reused",
        )
    user = await users.get_user_or_raise(session, token.user_id)
    if not user.is_active:
        raise Unauthorized("The account is not active.", code="account_inactive")
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


async def login_or_challenge(
    session: AsyncSession, *, settings: Settings, user: User
) -> AuthResponse | MfaChallenge:
    """Tokens, or an MFA challenge when the account has MFA on."""
    if user.mfa_enabled:
        return await start_mfa_challenge(session, settings=settings, user=user)
    return await complete_login(session, settings=settings, user=user)


async def login_without_mfa(session: AsyncSession, *, settings: Settings, user: User) -> TokenPair:
    if user.mfa_enabled:
        raise Unauthorized(
            "This account uses MFA: sign in through /auth/login.", code="mfa_required"
        )
    response = await complete_login(session, settings=settings, user=user)
    return TokenPair(**response.model_dump(exclude={"user"}))


MFA_TOKEN_MINUTES = 10


async def start_mfa_challenge(
    session: AsyncSession, *, settings: Settings, user: User
) -> MfaChallenge:
    """Issue the short-lived ``mfa_token`` and, for email MFA, send a one-time code."""
    method = user.mfa_method or "email"
    if method == "email":
        await send_mfa_code(session, settings=settings, user=user, purpose="mfa_login")
    token = create_purpose_token(
        settings, subject=str(user.id), purpose="mfa", minutes=MFA_TOKEN_MINUTES
    )
    return MfaChallenge(mfa_token=token, methods=[method])


async def send_mfa_code(
    session: AsyncSession, *, settings: Settings, user: User, purpose: str
) -> None:
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
