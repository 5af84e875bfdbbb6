"""Login with a password: the lockout delay after repeated failures, then tokens or an
MFA challenge."""

from __future__ import annotations

import logging

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.cache import STORE_ERRORS, Store
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.errors import TooManyRequests, Unauthorized
from lms.core.security import sha256_hex
from lms.modules import users
from lms.modules.auth.schemas import AuthResponse, MfaChallenge, TokenPair
from lms.modules.auth.service.mfa import start_mfa_challenge
from lms.modules.auth.service.tokens import complete_login

log = logging.getLogger("lms.auth")


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"
    detail = "The email or password is wrong."


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
) -> users.Account:
    """The account for these credentials, or ``InvalidCredentials`` (same answer and
    the same bcrypt cost whether or not the email exists)."""
    # The lockout is a rate limit: with the store down it lets logins through (logged)
    # rather than failing them, like every other rate limit.
    try:
        await _check_login_delay(store, email, client)
    except STORE_ERRORS:
        log.warning("login lockout store unavailable; login allowed")
    account = await users.verify_credentials(session, email=email, password=password)
    if account is None:
        try:
            await _record_login_failure(store, settings, email, client)
        except STORE_ERRORS:
            log.warning("login lockout store unavailable; failure not counted")
        raise InvalidCredentials()
    try:
        await store.delete(_failure_key(email, client), _failure_key(email, client) + ":until")
    except STORE_ERRORS:
        log.warning("login lockout store unavailable; failures not cleared")
    return account


async def login_or_challenge(
    session: AsyncSession, *, settings: Settings, account: users.Account
) -> AuthResponse | MfaChallenge:
    """Tokens, or an MFA challenge when the account has MFA on."""
    if account.mfa_enabled:
        return await start_mfa_challenge(session, settings=settings, account=account)
    return await complete_login(session, settings=settings, account=account)


async def login_without_mfa(
    session: AsyncSession, *, settings: Settings, account: users.Account
) -> TokenPair:
    """Tokens for an account without MFA (the OAuth2 password flow)."""
    if account.mfa_enabled:
        raise Unauthorized(
            "This account uses MFA: sign in through /auth/login.", code="mfa_required"
        )
    response = await complete_login(session, settings=settings, account=account)
    return TokenPair(**response.model_dump(exclude={"user"}))
