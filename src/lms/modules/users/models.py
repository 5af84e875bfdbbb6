from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey

ROLES = ("admin", "instructor", "student")


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("role IN ('admin', 'instructor', 'student')", name="role_known"),
    )

    email: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    # NULL for an invited account that has not set a password yet (it cannot sign in).
    password_hash: Mapped[str | None] = mapped_column(String(255))
    full_name: Mapped[str] = mapped_column(String(255))
    # The person's id in the school's information system (roster imports match on it).
    external_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(50), default="student", index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    mfa_enabled: Mapped[bool] = mapped_column(default=False)
    mfa_method: Mapped[str | None] = mapped_column(String(10))  # email | totp
    totp_secret_encrypted: Mapped[str | None] = mapped_column(String(500))
    totp_last_step: Mapped[int | None] = mapped_column()
    profile_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # IANA time zone name: due dates, reminders and calendars are shown in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="UTC", server_default="UTC")
    # The language the person reads (emails, error messages); NULL means "as the request
    # asks" (Accept-Language), then the deployment's default.
    locale: Mapped[str | None] = mapped_column(String(10))
    last_login_at: Mapped[datetime | None] = mapped_column()
    email_verified_at: Mapped[datetime | None] = mapped_column()
    # Access tokens issued before this instant are refused (password change, reset,
    # deactivation): sessions end at once, not when the token expires.
    tokens_valid_after: Mapped[datetime | None] = mapped_column()
    # When the account's personal data was erased (``lms.modules.users.privacy``): the
    # row stays, anonymised, so that what must outlive the person still points at it.
    erased_at: Mapped[datetime | None] = mapped_column()


# Accounts are found by email without case (sign-in, invitations, roster imports).
Index("ix_users_email_lower", func.lower(User.email))
