"""Authentication endpoints: register, login (JSON and OAuth2 form), refresh, logout."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from lms.core import ratelimit
from lms.core.db import TransactionalRoute
from lms.core.deps import (
    CurrentPrincipal,
    SessionDep,
    SettingsDep,
    StoreDep,
    client_ip,
)
from lms.modules.auth import service
from lms.modules.auth.schemas import (
    AuthResponse,
    LoginRequest,
    LogoutRequest,
    MfaChallenge,
    RefreshRequest,
    RegisterRequest,
    TokenPair,
)
from lms.modules.users import service as users
from lms.modules.users.schemas import UserRead

router = APIRouter(prefix="/auth", tags=["auth"], route_class=TransactionalRoute)


async def auth_rate_limit(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """Every auth endpoint: a per-client, per-endpoint budget per minute."""
    await ratelimit.hit(
        store,
        f"auth:{request.url.path}:{client_ip(request)}",
        limit=settings.auth_rate_limit_per_minute,
        window_seconds=60,
    )


RateLimited = Depends(auth_rate_limit)


@router.post(
    "/register",
    response_model=AuthResponse,
    status_code=status.HTTP_201_CREATED,
    dependencies=[RateLimited],
)
async def register(
    data: RegisterRequest, session: SessionDep, settings: SettingsDep
) -> AuthResponse:
    """Create a student account and sign in. The role is always `student`: only an admin
    creates instructors and admins."""
    return await service.register(
        session,
        settings=settings,
        email=str(data.email),
        password=data.password,
        full_name=data.full_name,
    )


@router.post(
    "/login",
    response_model=AuthResponse | MfaChallenge,
    dependencies=[RateLimited],
)
async def login(
    data: LoginRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> AuthResponse | MfaChallenge:
    """Sign in with email and password. With MFA on, no tokens yet: the answer carries an
    `mfa_token` to send with the code to `/auth/login/mfa`."""
    user = await service.authenticate(
        session,
        settings=settings,
        store=store,
        email=str(data.email),
        password=data.password,
        client=client_ip(request),
    )
    return await service.login_or_challenge(session, settings=settings, user=user)


@router.post("/token", response_model=TokenPair, dependencies=[RateLimited])
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> TokenPair:
    """OAuth2 password flow (`username` = email) for Swagger's Authorize button. Accounts
    with MFA must use `/auth/login`."""
    user = await service.authenticate(
        session,
        settings=settings,
        store=store,
        email=form.username,
        password=form.password,
        client=client_ip(request),
    )
    return await service.login_without_mfa(session, settings=settings, user=user)


@router.post("/refresh", response_model=TokenPair, dependencies=[RateLimited])
async def refresh(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Exchange a refresh token for a new pair. Each refresh token works once."""
    return await service.refresh(session, settings=settings, raw_token=data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, dependencies=[RateLimited])
async def logout(
    principal: CurrentPrincipal,
    session: SessionDep,
    store: StoreDep,
    data: LogoutRequest | None = None,
) -> None:
    """End this session: the access token stops working now, the refresh token too."""
    await service.logout(
        session,
        store=store,
        principal=principal,
        raw_refresh=data.refresh_token if data else None,
    )


@router.get("/me", response_model=UserRead, dependencies=[RateLimited])
async def me(principal: CurrentPrincipal, session: SessionDep) -> UserRead:
    """The signed-in user."""
    return UserRead.model_validate(await users.get_user_or_raise(session, principal.id))
