"""Users: accounts, roles, profiles, credentials and the request's principal.

One file per concern: ``accounts`` (creating, reading, managing), ``credentials``
(password, MFA state, logins) and ``principals`` (the loader of each request's caller
and its cached copies). This package re-exports what the router and the module's
surface use."""

from lms.modules.users.service.accounts import (
    EmailTaken,
    UserNotFound,
    admin_create_user,
    admin_update_user,
    create_user,
    find_account_by_email,
    find_by_external_id,
    get_account,
    get_account_or_raise,
    get_active_admins,
    get_user_or_raise,
    get_user_summaries,
    get_user_summary,
    get_user_summary_or_raise,
    invite_user,
    list_users,
    recipient_preferences,
    update_imported_profile,
    update_profile,
    user_names,
)
from lms.modules.users.service.credentials import (
    change_password,
    check_password,
    claim_totp_step,
    disable_mfa,
    enable_mfa,
    mark_email_verified,
    record_login,
    set_password,
    set_pending_totp_secret,
    verify_credentials,
)
from lms.modules.users.service.imported import (
    find_imported_accounts,
    invite_users,
    update_imported_profiles,
)
from lms.modules.users.service.principals import load_principal

__all__ = [
    "EmailTaken",
    "UserNotFound",
    "admin_create_user",
    "admin_update_user",
    "change_password",
    "check_password",
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
    "get_user_or_raise",
    "get_user_summaries",
    "get_user_summary",
    "get_user_summary_or_raise",
    "invite_user",
    "invite_users",
    "list_users",
    "load_principal",
    "mark_email_verified",
    "recipient_preferences",
    "record_login",
    "set_password",
    "set_pending_totp_secret",
    "update_imported_profile",
    "update_imported_profiles",
    "update_profile",
    "user_names",
    "verify_credentials",
]
