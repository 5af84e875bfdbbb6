"""Authentication endpoints: register, login (JSON, OAuth2 form, MFA), refresh, logout,
password reset, email verification and MFA set-up. Every one is rate limited. Besides,
an admin's route for another account's second factor (``/admin/users/{id}/mfa/…``)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.security import OAuth2PasswordRequestForm

from lms.core import ratelimit
from lms.core.deps import (
    AdminPrincipal,
    CurrentPrincipal,
    NotActingAs,
    SessionDep,
    SettingsDep,
    StoreDep,
    client_ip,
)
from lms.core.errors import problem_responses
from lms.core.routing import TransactionalRoute, creates
from lms.modules import users
from lms.modules.auth import service
from lms.modules.auth.schemas import (
    Accepted,
    AdminMfaDisableRequest,
    AuthResponse,
    EmailTokenRequest,
    ForgotPasswordRequest,
    LoginRequest,
    LogoutRequest,
    MfaChallenge,
    MfaConfirmRequest,
    MfaDisableRequest,
    MfaEnabled,
    MfaEnableRequest,
    MfaEnrollment,
    MfaLoginRequest,
    RefreshRequest,
    RegisterRequest,
    ResetPasswordRequest,
    TokenPair,
)


async def auth_rate_limit(request: Request, store: StoreDep, settings: SettingsDep) -> None:
    """Every auth endpoint: a per-client budget per minute, shared by a path and its
    alias (keyed on the handler, not the URL)."""
    endpoint = request.scope.get("endpoint")
    name = getattr(endpoint, "__name__", request.url.path)
    await ratelimit.hit(
        store,
        f"auth:{name}:{client_ip(request)}",
        limit=settings.auth_rate_limit_per_minute,
        window_seconds=60,
        request=request,
        policy="auth",
    )


# The limit sits on the router, so every auth endpoint has it, including new ones.
router = APIRouter(
    prefix="/auth",
    tags=["auth"],
    route_class=TransactionalRoute,
    dependencies=[Depends(auth_rate_limit)],
    responses=problem_responses(),
)


def _alias_of(path: str) -> str:
    return f"Alias of `POST /api/v1/auth{path}`: the same operation."


@router.post("/register", response_model=AuthResponse, status_code=status.HTTP_201_CREATED)
@creates("/users/me")
async def register(
    data: RegisterRequest, session: SessionDep, settings: SettingsDep
) -> AuthResponse:
    """Create a student account and sign in. The role is always `student`: only an admin
    creates instructors and admins. A welcome and a verification email follow."""
    return await service.register(
        session,
        settings=settings,
        email=str(data.email),
        password=data.password,
        full_name=data.full_name,
    )


@router.post("/login", response_model=AuthResponse | MfaChallenge)
async def login(
    data: LoginRequest,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> AuthResponse | MfaChallenge:
    """Sign in with email and password. With MFA on, no tokens yet: the answer carries an
    `mfa_token` to send with the code to `/auth/login/mfa` (email MFA: the code is
    emailed now). Repeated failures slow down this account from this client."""
    account = await service.authenticate(
        session,
        settings=settings,
        store=store,
        email=str(data.email),
        password=data.password,
        client=client_ip(request),
    )
    return await service.login_or_challenge(session, settings=settings, account=account)


@router.post("/token", response_model=TokenPair)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    store: StoreDep,
) -> TokenPair:
    """OAuth2 password flow (`username` = email) for Swagger's Authorize button. Accounts
    with MFA sign in through `/auth/login` + `/auth/login/mfa` and paste the access token
    into Authorize's bearer field."""
    account = await service.authenticate(
        session,
        settings=settings,
        store=store,
        email=form.username,
        password=form.password,
        client=client_ip(request),
    )
    return await service.login_without_mfa(session, settings=settings, account=account)


@router.post("/login/mfa", response_model=AuthResponse)
@router.post(
    "/mfa/login",
    response_model=AuthResponse,
    name="login_with_mfa_alias",
    description=_alias_of("/login/mfa"),
)
async def login_with_mfa(
    data: MfaLoginRequest, session: SessionDep, settings: SettingsDep, store: StoreDep
) -> AuthResponse:
    """Second step of a login with MFA: the `mfa_token` from `/auth/login` and a code
    (emailed, from the authenticator app, or a recovery code). The `mfa_token` works
    once and dies after too many wrong codes."""
    return await service.login_with_mfa(
        session, settings=settings, store=store, mfa_token=data.mfa_token, code=data.code
    )


@router.post("/refresh", response_model=TokenPair)
async def refresh(data: RefreshRequest, session: SessionDep, settings: SettingsDep) -> TokenPair:
    """Exchange a refresh token for a new pair. Each refresh token works once."""
    return await service.refresh(session, settings=settings, raw_token=data.refresh_token)


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
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


FORGOT_PASSWORD_ANSWER = "If an account uses this address, a reset email is on its way."  # noqa: S105


@router.post("/forgot-password", response_model=Accepted, status_code=status.HTTP_202_ACCEPTED)
async def forgot_password(data: ForgotPasswordRequest, session: SessionDep) -> Accepted:
    """Email a single-use password reset token. The answer is the same whether or not an
    account uses the address."""
    await service.request_password_reset(session, email=str(data.email))
    return Accepted(detail=FORGOT_PASSWORD_ANSWER)


@router.post("/reset-password", status_code=status.HTTP_204_NO_CONTENT)
async def reset_password(
    data: ResetPasswordRequest, session: SessionDep, settings: SettingsDep
) -> None:
    """Set a new password with the token from the reset email. Every session of the
    account ends; log in with the new password."""
    await service.reset_password(
        session, settings=settings, token=data.token, new_password=data.new_password
    )


@router.post(
    "/verify-email/request",
    response_model=Accepted,
    status_code=status.HTTP_202_ACCEPTED,
    dependencies=[NotActingAs],
)
async def request_email_verification(
    principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> Accepted:
    """Email a new verification token to the signed-in user's address."""
    await service.request_email_verification(session, settings=settings, user_id=principal.id)
    return Accepted(detail="A verification email is on its way.")


@router.post("/verify-email/confirm", response_model=users.UserRead, dependencies=[NotActingAs])
async def confirm_email(
    data: EmailTokenRequest, session: SessionDep, settings: SettingsDep
) -> users.UserRead:
    """Confirm an email address with the token from the verification email."""
    account = await service.confirm_email(session, settings=settings, token=data.token)
    return users.UserRead.model_validate(account)


@router.post("/mfa/enable/request", response_model=MfaEnrollment, dependencies=[NotActingAs])
@router.post(
    "/mfa/enable",
    response_model=MfaEnrollment,
    dependencies=[NotActingAs],
    name="request_mfa_enrollment_alias",
    description=_alias_of("/mfa/enable/request"),
)
async def request_mfa_enrollment(
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    data: MfaEnableRequest | None = None,
) -> MfaEnrollment:
    """Start turning MFA on. `email`: a code is emailed. `totp`: the answer holds the
    secret and the `otpauth://` URI for an authenticator app. Confirm with
    `/auth/mfa/enable/confirm`."""
    method = data.method if data else "email"
    return await service.request_mfa_enrollment(
        session, settings=settings, user_id=principal.id, method=method
    )


@router.post("/mfa/enable/confirm", response_model=MfaEnabled, dependencies=[NotActingAs])
@router.post(
    "/mfa/verify",
    response_model=MfaEnabled,
    dependencies=[NotActingAs],
    name="confirm_mfa_enrollment_alias",
    description=_alias_of("/mfa/enable/confirm"),
)
async def confirm_mfa_enrollment(
    data: MfaConfirmRequest, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> MfaEnabled:
    """Turn MFA on with a code of the requested method. The answer lists recovery codes,
    shown this once."""
    return await service.confirm_mfa_enrollment(
        session, settings=settings, user_id=principal.id, code=data.code
    )


@router.post("/mfa/disable", status_code=status.HTTP_204_NO_CONTENT, dependencies=[NotActingAs])
async def disable_mfa(
    data: MfaDisableRequest, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> None:
    """Turn MFA off, with the current password or a current code (authenticator app or
    recovery code)."""
    await service.disable_mfa(
        session,
        settings=settings,
        user_id=principal.id,
        password=data.password,
        code=data.code,
    )


@router.get("/me", response_model=users.UserRead)
async def me(principal: CurrentPrincipal, session: SessionDep) -> users.UserRead:
    """The signed-in user."""
    return users.UserRead.model_validate(await users.get_account_or_raise(session, principal.id))


# An admin's route: outside /auth, so outside its per-client budget meant for anonymous callers.
admin_router = APIRouter(
    tags=["auth"], route_class=TransactionalRoute, responses=problem_responses()
)


@admin_router.post(
    "/admin/users/{user_id}/mfa/disable",
    status_code=status.HTTP_204_NO_CONTENT,
    dependencies=[NotActingAs],
    responses=problem_responses(404, 409, 422),
)
async def disable_account_mfa(
    user_id: uuid.UUID,
    data: AdminMfaDisableRequest,
    admin: AdminPrincipal,
    session: SessionDep,
) -> None:
    """Turn off another account's second factor (admin, with a reason), e.g. for a
    person who lost their phone: MFA off, its secret, recovery codes and pending codes
    gone, every session of the account ended, the person told by email; recorded in the
    audit log as `user.mfa_disabled` with the reason. 409 `mfa_not_enabled` when the
    account has no second factor; your own account is refused (422 `mfa_own_account`):
    use `POST /auth/mfa/disable`, which asks for proof."""
    await service.disable_mfa_for_account(session, admin=admin, user_id=user_id, reason=data.reason)
