from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from lms.core.schemas import StrictModel, no_nul
from lms.modules import users

MfaMethod = Literal["email", "totp"]
Code = Field(
    min_length=6,
    max_length=32,
    description="A 6-digit code (email or authenticator app) or a recovery code",
)
OpaqueToken = Field(min_length=1, max_length=200)


class RegisterRequest(StrictModel):
    email: EmailStr
    password: str = users.Password
    full_name: users.FullName

    _password = field_validator("password")(users.check_password_strength)


class LoginRequest(StrictModel):
    email: EmailStr
    password: str = Field(min_length=1, max_length=72)


class TokenPair(BaseModel):
    access_token: str
    refresh_token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105
    expires_in: int


class AuthResponse(TokenPair):
    user: users.UserRead


class MfaChallenge(BaseModel):
    mfa_required: Literal[True] = True
    mfa_token: str
    methods: list[str]


class MfaLoginRequest(StrictModel):
    mfa_token: str = Field(min_length=1, max_length=2000)
    code: str = Code


class RefreshRequest(StrictModel):
    refresh_token: str = OpaqueToken


class LogoutRequest(StrictModel):
    refresh_token: str | None = Field(default=None, max_length=200)


class ForgotPasswordRequest(StrictModel):
    email: EmailStr


class ResetPasswordRequest(StrictModel):
    token: str = OpaqueToken
    new_password: str = users.Password

    _password = field_validator("new_password")(users.check_password_strength)


class EmailTokenRequest(StrictModel):
    token: str = OpaqueToken


class Accepted(BaseModel):
    detail: str


class MfaEnableRequest(StrictModel):
    method: MfaMethod = "email"


class MfaEnrollment(BaseModel):
    """What to do next: enter the emailed code, or add the secret to an authenticator app
    (`otpauth_uri` is what a QR code would hold) and enter a code from it."""

    method: MfaMethod
    detail: str
    secret: str | None = None
    otpauth_uri: str | None = None


class MfaConfirmRequest(StrictModel):
    code: str = Code


class MfaEnabled(BaseModel):
    """MFA is on. The recovery codes are shown this once: each works once instead of a
    code, for when the phone or mailbox is out of reach."""

    mfa_enabled: Literal[True] = True
    method: MfaMethod
    recovery_codes: list[str]


class AdminMfaDisableRequest(StrictModel):
    """An admin turning off another account's second factor says why."""

    reason: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=5, max_length=500),
        AfterValidator(no_nul),
    ] = Field(
        description="Why the second factor is turned off (a ticket number, say); kept in "
        "the audit log. Do not write personal data here.",
        examples=["Ticket 4711: phone lost, identity checked in person"],
    )


class MfaDisableRequest(StrictModel):
    """Either the current password or a current code (authenticator app or recovery)."""

    password: str | None = Field(default=None, min_length=1, max_length=72)
    code: str | None = Field(default=None, min_length=6, max_length=32)

    @model_validator(mode="after")
    def _one_proof(self) -> MfaDisableRequest:
        if (self.password is None) == (self.code is None):
            raise ValueError("give either password or code")
        return self
