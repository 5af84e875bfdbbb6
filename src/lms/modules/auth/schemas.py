from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, EmailStr, Field, field_validator

from lms.modules.users.schemas import Password, StrictModel, UserRead, _check_password


class RegisterRequest(StrictModel):
    email: EmailStr
    password: str = Password
    full_name: str = Field(min_length=1, max_length=255)

    _password = field_validator("password")(_check_password)


class LoginRequest(StrictModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=72)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class AuthResponse(TokenPair):
    user: UserRead


class MfaChallenge(BaseModel):
    mfa_required: Literal[True] = True
    mfa_token: str
    methods: list[str]


class RefreshRequest(StrictModel):
    refresh_token: str = Field(min_length=1, max_length=200)


class LogoutRequest(StrictModel):
    refresh_token: str | None = Field(default=None, max_length=200)
