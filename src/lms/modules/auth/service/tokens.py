"""Tokens: issuing an access and refresh pair at login, rotating the refresh token,
logging out, and purging expired ones."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.cache import Store
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal, denylist_key
from lms.core.errors import Unauthorized
from lms.core.security import create_access_token, new_opaque_token, sha256_hex
from lms.modules import users
from lms.modules.auth import repository
from lms.modules.auth.models import RefreshToken
from lms.modules.auth.schemas import AuthResponse, TokenPair


async def issue_tokens(
    session: AsyncSession,
    *,
    settings: Settings,
    account: users.Account,
    family_id: uuid.UUID | None = None,
) -> TokenPair:
    """A new access token and a refresh token (of ``family_id``, else a new family)."""
    access, _claims = create_access_token(settings, user_id=account.id, role=account.role)
    raw_refresh = new_opaque_token()
    session.add(
        RefreshToken(
            user_id=account.id,
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


async def complete_login(
    session: AsyncSession, *, settings: Settings, account: users.Account
) -> AuthResponse:
    """The end of a successful sign-in: tokens, the login recorded, the account."""
    tokens = await issue_tokens(session, settings=settings, account=account)
    account = await users.record_login(session, user_id=account.id)
    return AuthResponse(**tokens.model_dump(), user=users.UserRead.model_validate(account))


async def refresh(session: AsyncSession, *, settings: Settings, raw_token: str) -> TokenPair:
    """Rotate a refresh token. A token presented twice means it was stolen or replayed:
    the whole family is revoked and the caller must log in again."""
    now = utcnow()
    token = await repository.get_refresh_by_hash(session, sha256_hex(raw_token))
    if token is None or token.revoked_at is not None or token.expires_at <= now:
        raise Unauthorized("The refresh token is invalid or expired.", code="refresh_invalid")
    if not await repository.mark_refresh_used(session, token.id, now):
        await repository.revoke_family(session, token.family_id, now)
        # The revocation must stick although the request fails.
        raise Unauthorized(
            "This refresh token was already used; the session has been revoked.",
            code="refresh_reused",
        ).keeping_changes()
    account = await users.get_account_or_raise(session, token.user_id)
    if not account.is_active:
        raise Unauthorized("The account is not active.", code="account_inactive")
    if account.tokens_valid_after is not None and token.created_at < account.tokens_valid_after:
        # Issued before a password change, reset or role change: that session has ended.
        raise Unauthorized("The session has ended; log in again.", code="refresh_invalid")
    return await issue_tokens(
        session, settings=settings, account=account, family_id=token.family_id
    )


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
    if principal.acting_admin_id is not None:
        # An "act as" token has no refresh token; the account's own sessions go on.
        return
    token = (
        await repository.get_refresh_by_hash(session, sha256_hex(raw_refresh))
        if raw_refresh
        else None
    )
    if token is not None and token.user_id == principal.id:
        await repository.revoke_family(session, token.family_id, now)
    else:
        await repository.revoke_all_for_user(session, principal.id, now)


@jobs.periodic("auth.purge_expired", every_seconds=3600)
async def purge_expired(session: AsyncSession) -> None:
    """Drop codes and refresh tokens that expired more than a day ago."""
    await repository.purge_expired(session, utcnow() - timedelta(days=1))
