from __future__ import annotations

import functools
import uuid
import zoneinfo
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, field_validator

from lms.core.schemas import StrictModel, no_nul, storable_json

Role = Literal["admin", "instructor", "student"]


FullName = Annotated[str, Field(min_length=1, max_length=255), AfterValidator(no_nul)]
LOCALES = ("en", "ar")
Locale = Literal["en", "ar"]


def check_time_zone(value: str) -> str:
    if value not in _time_zones():
        raise ValueError("not an IANA time zone name (e.g. 'Africa/Cairo', 'UTC')")
    return value


@functools.cache
def _time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


TimeZone = Annotated[
    str,
    Field(min_length=1, max_length=64, examples=["Africa/Cairo"]),
    AfterValidator(check_time_zone),
]
ProfileMetadata = Annotated[dict[str, Any], Field(max_length=100), AfterValidator(storable_json)]


def check_password_strength(value: str) -> str:
    if len(value.encode()) > 72:
        raise ValueError("the password must be at most 72 bytes long")
    if len(value) < 8:
        raise ValueError("the password must be at least 8 characters long")
    if value.isdigit() or value.isalpha():
        raise ValueError("the password must mix letters with digits or symbols")
    return value


Password = Field(min_length=8, max_length=72, description="8-72 characters, letters and digits")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    mfa_enabled: bool
    profile_metadata: dict[str, Any] | None = None
    time_zone: str = "UTC"
    locale: Locale | None = None
    email_verified_at: datetime | None = None
    last_login_at: datetime | None = None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class UserSummary:
    """What other modules show or email about a user: who they are, not how they sign in."""

    id: uuid.UUID
    email: str
    full_name: str
    role: str
    is_active: bool
    # An invited account that has not chosen a password yet.
    invited: bool = False
    # The IANA zone the person reads dates in (``users.time_zone``).
    time_zone: str = "UTC"


@dataclass(frozen=True, slots=True)
class Account:
    """A user as authentication sees it: the second factor's state and when sessions
    end, plus every field of ``UserRead`` (``UserRead.model_validate(account)``). Never
    the password hash: passwords are checked by ``check_password``."""

    id: uuid.UUID
    email: str
    full_name: str
    role: str
    is_active: bool
    mfa_enabled: bool
    mfa_method: str | None
    totp_secret_encrypted: str | None
    totp_last_step: int | None
    email_verified_at: datetime | None
    tokens_valid_after: datetime | None
    last_login_at: datetime | None
    profile_metadata: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime
    time_zone: str = "UTC"
    locale: str | None = None


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
    time_zone: TimeZone | None = None
    locale: Locale | None = None


class ProfileUpdate(StrictModel):
    """What a user may change on their own account: never role or is_active."""

    full_name: FullName | None = None
    profile_metadata: ProfileMetadata | None = None
    time_zone: TimeZone | None = None
    # null: follow the request's Accept-Language.
    locale: Locale | None = None


class PasswordChange(StrictModel):
    current_password: str = Field(min_length=1, max_length=72)
    new_password: str = Password

    _password = field_validator("new_password")(check_password_strength)


class UserFilters(BaseModel):
    role: Role | None = None
    is_active: bool | None = None
    search: str | None = None
