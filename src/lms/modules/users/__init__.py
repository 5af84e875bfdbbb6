"""Users: accounts, their roles and profiles, their credentials (password, MFA state),
and the principal of each authenticated request.

Public surface: read models (``UserSummary``: who a user is, for modules that show or
email people; ``Account``: what authentication needs, never the password hash) and the
functions that return them by id or email; the credential functions authentication
uses, all by user id (checking a password, recording a login, the MFA state, spending
a TOTP step); ``create_user``; who each account is as SQL for another module's list
(``user_names``); ``load_principal`` for the application factory; the
schemas other modules answer or validate with (``UserRead``, ``UserCreate``, ``Role``,
``FullName``, ``Password`` and its strength check); bulk imports' matching, inviting
and profile updates (``find_imported_accounts``, ``invite_users``,
``update_imported_profiles``, with ``ImportedAccount`` and ``Invitee``); the errors
``EmailTaken`` and ``UserNotFound``; the events it publishes (``UserCreated``,
``UserDeactivated``, ``UserActivated``, ``UserRoleChanged``, ``UserMfaDisabled``,
``UserErased``); ``PERSONAL_DATA``, how it exports and erases an account's personal
data; and ``routers`` for the application factory."""

from lms.modules.users.events import (
    UserActivated,
    UserCreated,
    UserDeactivated,
    UserErased,
    UserMfaDisabled,
    UserRoleChanged,
)
from lms.modules.users.privacy import PERSONAL_DATA
from lms.modules.users.router import router as _router
from lms.modules.users.schemas import (
    Account,
    FullName,
    ImportedAccount,
    Invitee,
    Password,
    Role,
    UserCreate,
    UserRead,
    UserSummary,
    check_password_strength,
)
from lms.modules.users.service import (
    EmailTaken,
    UserNotFound,
    check_password,
    claim_totp_step,
    create_user,
    disable_mfa,
    enable_mfa,
    find_account_by_email,
    find_by_external_id,
    find_imported_accounts,
    get_account,
    get_account_or_raise,
    get_active_admins,
    get_user_summaries,
    get_user_summary,
    get_user_summary_or_raise,
    invite_user,
    invite_users,
    load_principal,
    mark_email_verified,
    recipient_preferences,
    record_login,
    set_password,
    set_pending_totp_secret,
    update_imported_profile,
    update_imported_profiles,
    user_names,
    verify_credentials,
)

routers = [_router]

__all__ = [
    "PERSONAL_DATA",
    "Account",
    "EmailTaken",
    "FullName",
    "ImportedAccount",
    "Invitee",
    "Password",
    "Role",
    "UserActivated",
    "UserCreate",
    "UserCreated",
    "UserDeactivated",
    "UserErased",
    "UserMfaDisabled",
    "UserNotFound",
    "UserRead",
    "UserRoleChanged",
    "UserSummary",
    "check_password",
    "check_password_strength",
    "claim_totp_step",
    "create_user",
    "disable_mfa",
    "enable_mfa",
    "find_account_by_email",
    "find_by_external_id",
    "find_imported_accounts",
    "get_account",
    "get_account_or_raise",
    "get_active_admins",
    "get_user_summaries",
    "get_user_summary",
    "get_user_summary_or_raise",
    "invite_user",
    "invite_users",
    "load_principal",
    "mark_email_verified",
    "recipient_preferences",
    "record_login",
    "routers",
    "set_password",
    "set_pending_totp_secret",
    "update_imported_profile",
    "update_imported_profiles",
    "user_names",
    "verify_credentials",
]
