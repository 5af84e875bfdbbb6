"""Authentication: registration, login (with MFA), token rotation, logout, password
reset, email verification and MFA enrolment.

One file per use case: ``registration``, ``login``, ``tokens``, ``mfa`` and
``reset_and_verification``. This package re-exports what the router calls.
"""

from lms.modules.auth.service.login import authenticate, login_or_challenge, login_without_mfa
from lms.modules.auth.service.mfa import (
    confirm_mfa_enrollment,
    disable_mfa,
    disable_mfa_for_account,
    login_with_mfa,
    request_mfa_enrollment,
)
from lms.modules.auth.service.registration import register
from lms.modules.auth.service.reset_and_verification import (
    confirm_email,
    request_email_verification,
    request_password_reset,
    reset_password,
)
from lms.modules.auth.service.tokens import logout, refresh

__all__ = [
    "authenticate",
    "confirm_email",
    "confirm_mfa_enrollment",
    "disable_mfa",
    "disable_mfa_for_account",
    "login_or_challenge",
    "login_with_mfa",
    "login_without_mfa",
    "logout",
    "refresh",
    "register",
    "request_email_verification",
    "request_mfa_enrollment",
    "request_password_reset",
    "reset_password",
]
