"""Request-scoped dependencies: settings, session, store, the caller and role checks."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.encoders import jsonable_encoder
from fastapi.security import HTTPBearer, OAuth2PasswordBearer
from fastapi.security.utils import get_authorization_scheme_param
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from lms.core.actor import note_caller
from lms.core.cache import Cache, Store
from lms.core.config import Settings
from lms.core.errors import Forbidden, ServiceUnavailable, Unauthorized
from lms.core.i18n import LOCALE_STATE_KEY
from lms.core.openapi import EndpointT, documents_operation
from lms.core.routing import request_connection, request_session
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
# For read_only endpoints that select columns only (see lms.core.routing.request_connection).
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
    # The account's language ('en', 'ar'), or None to follow Accept-Language.
    locale: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def acting_admin_id(self) -> uuid.UUID | None:
        """The admin behind an "act as" token (None for the account's own sessions)."""
        return self.claims.acting_admin_id


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


# The principal dependencies below read the bearer token themselves instead of
# depending on the two schemes (each dependency FastAPI resolves costs a level of
# ``solve_dependencies``; see benchmarks/README.md). The schemes stay in the OpenAPI
# document as FastAPI would put them there: every operation that authenticates lists
# them (``documents_operation``), and the application declares them in its components.
SECURITY_SCHEMES = (oauth2_scheme, bearer_scheme)
_SECURITY_REQUIREMENT: dict[str, Any] = {
    "security": [{scheme.scheme_name: []} for scheme in SECURITY_SCHEMES]
}
_PRINCIPAL_STATE_KEY = "lms.principal"

# Rate limits counted in the same round trip as the denylist check. A route dependency
# that limits signed-in callers (``lms.core.ratelimit``) carries, under this attribute,
# a function giving its counters (key, window in seconds, limit) for a request and its token's
# claims; ``_resolve_principal`` counts them with the denylist read and leaves each
# counter's (count, seconds left) in the request state under ``COUNTED_STATE_KEY``.
COUNTERS_ATTRIBUTE = "__lms_counters__"
COUNTED_STATE_KEY = "lms.counted"
Counters = Callable[[Request, AccessClaims], list[tuple[str, int, int]]]
_route_counters: dict[int, tuple[Any, list[Counters]]] = {}


def _counters_of(route: Any) -> list[Counters]:
    """The counters of a route's limiting dependencies, found once per route."""
    known = _route_counters.get(id(route))
    if known is not None and known[0] is route:
        return known[1]
    found: list[Counters] = []
    pending = list(getattr(getattr(route, "dependant", None), "dependencies", []))
    while pending:
        dependency = pending.pop()
        counters = getattr(dependency.call, COUNTERS_ATTRIBUTE, None)
        if counters is not None:
            found.append(counters)
        pending.extend(dependency.dependencies)
    _route_counters[id(route)] = (route, found)
    return found


def authenticating(dependency: EndpointT) -> EndpointT:
    """Mark a dependency that reads the caller's token (with ``get_principal`` and the
    like): the operations of its routes list the bearer schemes."""
    return documents_operation(dependency, _SECURITY_REQUIREMENT)


def security_schemes_openapi() -> dict[str, Any]:
    """The ``components.securitySchemes`` entries of the schemes the principal
    dependencies accept."""
    return {
        scheme.scheme_name: jsonable_encoder(scheme.model, by_alias=True, exclude_none=True)
        for scheme in SECURITY_SCHEMES
    }


def bearer_token(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, as both schemes read it."""
    scheme, token = get_authorization_scheme_param(request.headers.get("authorization"))
    return token if scheme.lower() == "bearer" and token else None


async def _resolve_principal(request: Request) -> Principal | None:
    """The caller of this request, resolved once per request (every principal
    dependency below depends on the request alone, not on another principal
    dependency: each level of dependencies FastAPI resolves has a cost)."""
    token = bearer_token(request)
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
    note_caller(claims.user_id, claims.acting_admin_id, claims.expires_at)
    counters = [
        counter
        for counted in _counters_of(request.scope.get("route"))
        for counter in counted(request, claims)
    ]
    try:
        (revoked, cached), counts = await store.get_and_count(
            [denylist_key(claims.jti), principal_key(claims.user_id)], counters
        )
    except Exception as exc:
        # Fail closed: without the denylist a logged-out token could be replayed.
        raise ServiceUnavailable(
            "Token revocation cannot be checked right now; retry shortly.",
            code="denylist_unavailable",
            headers={"Retry-After": "1"},
        ) from exc
    if revoked is not None:
        raise Unauthorized("The token has been revoked.", code="token_revoked")
    if counts:
        state[COUNTED_STATE_KEY] = dict(zip((key for key, _, _ in counters), counts, strict=False))
    loader: PrincipalLoader = request.app.state.principal_loader
    principal = await loader(lambda: request_session(request), store, claims, cached)
    state[_PRINCIPAL_STATE_KEY] = principal
    if principal.locale:
        state[LOCALE_STATE_KEY] = principal.locale
    return principal


@authenticating
async def get_optional_principal(request: Request) -> Principal | None:
    return await _resolve_principal(request)


@authenticating
async def get_principal(request: Request) -> Principal:
    principal = await _resolve_principal(request)
    if principal is None:
        raise Unauthorized()
    return principal


OptionalPrincipal = Annotated[Principal | None, Depends(get_optional_principal)]
CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_roles(*roles: str) -> Callable[..., Awaitable[Principal]]:
    @authenticating
    async def check(request: Request) -> Principal:
        principal = await get_principal(request)
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


class ActAsForbidden(Forbidden):
    code = "act_as_forbidden"
    detail = (
        "An act-as session cannot do this (passwords, second factors, email addresses "
        "and payments are the account holder's own)."
    )


async def refuse_act_as(request: Request) -> None:
    """Refuse an "act as" token (403 ``act_as_forbidden``): the one guard of every route
    that changes a password, a second factor, an email address or a payment. Reads the
    token's verified claims only (no store or database round trip); an invalid token is
    left to the route's own authentication."""
    token = bearer_token(request)
    if not token:
        return
    settings: Settings = request.app.state.settings
    try:
        claims = decode_access_token(settings, token)
    except Unauthorized:
        return
    if claims.acting_admin_id is not None:
        # Named in the request's actor context, so the refusal is in the audit log too.
        note_caller(claims.user_id, claims.acting_admin_id, claims.expires_at)
        raise ActAsForbidden()


# For ``dependencies=[NotActingAs]`` on such a route.
NotActingAs = Depends(refuse_act_as)
