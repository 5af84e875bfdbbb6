from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

Role = Literal["admin", "instructor", "student"]


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _no_nul(value: str) -> str:
    # PostgreSQL text cannot hold NUL: refused here as a 422, never a database error.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


def _storable_json(value: dict[str, Any]) -> dict[str, Any]:
    # JSONB refuses NUL characters and NaN/Infinity: a 422 here, not a 500 there.
    try:
        json.dumps(value, allow_nan=False)
    except ValueError as exc:
        raise ValueError("must not contain NaN or Infinity") from exc
    if _has_nul(value):
        raise ValueError("must not contain NUL characters")
    return value


FullName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(_no_nul)]
ProfileMetadata = Annotated[dict[str, Any], Field(max_length=100), AfterValidator(_storable_json)]


def check_password_strength(value: str) -> str:
    if len(value.encode()) > 72:
        raise ValueError("the password must be at most 72 bytes long")
    if len(value) < 8:
        raise ValueError("the password must be at least 8 characters long")
    if value.isdigit() or value.isalpha():
        raise ValueError("the password must mix letters with digits or symbols")
    return value


Password = Field(min_length=8, max_length=72, description="8-72 characters, letters and digits")


class StrictModel(BaseModel):
    """Refuses unknown fields, so a typo or a mass-assignment attempt is a clear 422."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    mfa_enabled: bool
    profile_metadata: dict[str, Any] | None = None
    email_verified_at: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


class UserCreate(StrictModel):
    """An admin creating an account with any role."""

    email: EmailStr
    password: str = Password
    full_name: FullName
    role: Role = "student"
    is_active: bool = True

    _password = field_validator("password")(check_password_strength)


class UserAdminUpdate(StrictModel):
    full_name: FullName | None = None
    role: Role | None = None
    is_active: bool | None = None
    profile_metadata: ProfileMetadata | None = None


class ProfileUpdate(StrictModel):
    """What a user may change on their own account: never role or is_active."""

    full_name: FullName | None = None
    profile_metadata: ProfileMetadata | None = None


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=72)
    new_password: str = Password

    _password = field_validator("new_password")(check_password_strength)


class UserFilters(BaseModel):
    role: Role | None = None
    is_active: bool | None = None
    search: str | None = None
