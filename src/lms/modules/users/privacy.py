"""The users module's personal data: the account row itself (name, email, profile,
credentials, second-factor secret).

Erasure keeps the row, anonymised, because what must outlive the person (payments for
the accounts, enrollments counted by analytics, certificates that still verify) points
at it: the email becomes a placeholder on the reserved ``.invalid`` domain (so the
address can register anew), the name a placeholder, and the password, the external id,
the profile and the MFA secret are removed. The account is deactivated and every token
issued until now is refused; ``erased_at`` says it happened and blocks any later
change. Erasure runs last: the other modules find the person's email and name first."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.db import utcnow
from lms.core.privacy import PersonalDataHandler, document_schema, export_rows, rows_schema
from lms.modules.users import repository
from lms.modules.users.events import UserErased
from lms.modules.users.models import User

ERASED_NAME = "Erased account"
ERASED_EMAIL_DOMAIN = "erased.invalid"
# Secrets are never exported, not even to their owner.
SECRET_COLUMNS = ("password_hash", "totp_secret_encrypted", "totp_last_step")


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {"account": await export_rows(session, User, User.id == account_id, omit=SECRET_COLUMNS)}


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    user = await repository.get(session, account_id)
    if user is None:
        return
    first_time = user.erased_at is None
    now = utcnow()
    user.email = f"erased-{user.id.hex}@{ERASED_EMAIL_DOMAIN}"
    user.full_name = ERASED_NAME
    user.password_hash = None
    user.external_id = None
    user.mfa_enabled = False
    user.mfa_method = None
    user.totp_secret_encrypted = None
    user.totp_last_step = None
    user.profile_metadata = None
    user.last_login_at = None
    user.email_verified_at = None
    user.is_active = False
    user.tokens_valid_after = now
    if first_time:
        user.erased_at = now
    await session.flush()
    if first_time:
        await events.publish(session, UserErased(user_id=user.id))


PERSONAL_DATA = PersonalDataHandler(
    module="users",
    tables=("users",),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "users",
        "The account: email, name, role, profile, second-factor state and dates "
        "(never the password hash or the authenticator secret).",
        {"account": rows_schema(User, omit=SECRET_COLUMNS)},
    ),
    kept="The anonymised account row (id, role, dates), which payments, enrollments and "
    "certificates point at.",
)
