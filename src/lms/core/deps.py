"""Request-scoped dependencies: settings, session, store, the caller and role checks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer, OAuth2PasswordBearer
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lms.core.cache import Cache, Store
from lms.core.config import Settings
from lms.core.db import request_connection, request_session
from lms.core.errors import Forbidden, ServiceUnavailable, Unauthorized
from lms.core.security import AccessClaims, decode_access_token


async def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


async def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


async def get_cache(request: Request) -> Cache:
    cache: Cache = request.app.state.cache
    return cache


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
SessionDep = Annotated[AsyncSession, Depends(request_session)]
# For read_only endpoints that select columns only (see lms.core.db.request_connection).
ReadConnectionDep = Annotated[AsyncConnection, Depends(request_connection)]
StoreDep = Annotated[Store, Depends(get_store)]
CacheDep = Annotated[Cache, Depends(get_cache)]

oauth2_scheme = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
# The same header, offered in Swagger as "paste an access token": accounts with MFA get
# theirs from /auth/login/mfa, since the password form cannot carry the second factor.
bearer_scheme = HTTPBearer(
    auto_error=False,
    description="An access token, e.g. from /auth/login or /auth/login/mfa.",
)


@dataclass(frozen=True)
class Principal:
    """The authenticated caller, as far as authorization needs to know."""

    id: uuid.UUID
    role: str
    claims: AccessClaims

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


# Set by the application: checks that the token's user still exists, is active and
# that the token was issued after their last credential change; returns the live role.
# Arguments: a function that opens the request's session (called only when the account
# has to be read from the database), the store, the token's claims, and what the store
# holds at ``principal_key(user_id)`` (read together with the denylist, in one round trip).
PrincipalLoader = Callable[
    [Callable[[], Awaitable[AsyncSession]], Store, AccessClaims, str | None], Awaitable[Principal]
]


def denylist_key(jti: str) -> str:
    return f"denylist:{jti}"


def principal_key(user_id: uuid.UUID) -> str:
    """Where the principal loader keeps a short-lived copy of an account's access state."""
    return f"principal:{user_id}"


TokenDep = Annotated[str | None, Depends(oauth2_scheme)]
# Only for the documentation (the bearer form in Swagger); the token is read by the above.
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)]
_PRINCIPAL_STATE_KEY = "lms.principal"


async def _resolve_principal(request: Request, token: str | None) -> Principal | None:
    """The caller of this request, resolved once per request (every principal
    dependency below depends on the token and the session directly, not on another
    principal dependency: each level of dependencies FastAPI resolves has a cost)."""
    if not token:
        return None
    state = request.scope.setdefault("state", {})
    known: Principal | None = state.get(_PRINCIPAL_STATE_KEY)
    if known is not None:
        return known
    # Settings and store straight from the application state, for the same reason.
    settings: Settings = request.app.state.settings
    store: Store = request.app.state.store
    claims = decode_access_token(settings, token)
    try:
        revoked, cached = await store.get_many(
            denylist_key(claims.jti), principal_key(claims.user_id)
        )
    except Exception as exc:
        # Fail closed: without the denylist a logged-out token could be replayed.
        raise ServiceUnavailable(
            "Token revocation cannot be checked right now; retry shortly.",
            code="denylist_unavailable",
        ) from exc
    if revoked is not None:
        raise Unauthorized("The token has been revoked.", code="token_revoked")
    loader: PrincipalLoader = request.app.state.principal_loader
    principal = await loader(lambda: request_session(request), store, claims, cached)
    state[_PRINCIPAL_STATE_KEY] = principal
    return principal


async def get_optional_principal(
    request: Request, token: TokenDep, _bearer: BearerDep
) -> Principal | None:
    return await _resolve_principal(request, token)


async def get_principal(request: Request, token: TokenDep, _bearer: BearerDep) -> Principal:
    principal = await _resolve_principal(request, token)
    if principal is None:
        raise Unauthorized()
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    async def check(request: Request, token: TokenDep, _bearer: BearerDep) -> Principal:
        principal = await get_principal(request, token, _bearer)
        if principal.role not in roles:
            raise Forbidden(f"This requires the role {' or '.join(roles)}.", code="role_required")
        return principal

    return check


AdminPrincipal = Annotated[Principal, Depends(require_roles("admin"))]
StaffPrincipal = Annotated[Principal, Depends(require_roles("admin", "instructor"))]
StudentPrincipal = Annotated[Principal, Depends(require_roles("student"))]


def client_ip(request: Request) -> str:
    """The client address as the server sees it. Behind a proxy, run uvicorn with
    ``--proxy-headers --forwarded-allow-ips`` so this is the real client, not the proxy."""
    return request.client.host if request.client else "unknown"
