"""Data exports and erasure requests."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, UUIDPrimaryKey, utcnow

EXPORT_STATES = ("queued", "running", "ready", "expired")
ERASURE_STATES = ("scheduled", "cancelled", "completed")


class DataExport(UUIDPrimaryKey, Base):
    """One export of an account's personal data: a ZIP in storage, downloadable by the
    account until ``expires_at``."""

    __tablename__ = "data_exports"
    __table_args__ = (
        CheckConstraint("state IN ('queued', 'running', 'ready', 'expired')", name="state_known"),
        Index("ix_data_exports_state_expires", "state", "expires_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # The account itself, or the admin who asked for it.
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(20), default="queued")
    storage_provider: Mapped[str | None] = mapped_column(String(20))
    storage_key: Mapped[str | None] = mapped_column(String(500))
    size: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    expires_at: Mapped[datetime | None] = mapped_column()


class ErasureRequest(UUIDPrimaryKey, Base):
    """An erasure of an account's personal data: scheduled after the cool-off (the
    person may cancel it), or carried out at once by an admin, with a reason."""

    __tablename__ = "erasure_requests"
    __table_args__ = (
        CheckConstraint("state IN ('scheduled', 'cancelled', 'completed')", name="state_known"),
        # At most one scheduled erasure per account.
        Index(
            "uq_erasure_requests_one_scheduled",
            "account_id",
            unique=True,
            sqlite_where=text("state = 'scheduled'"),
            postgresql_where=text("state = 'scheduled'"),
        ),
        Index("ix_erasure_requests_state_due", "state", "due_at"),
    )

    account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    requested_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    state: Mapped[str] = mapped_column(String(20), default="scheduled")
    reason: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime] = mapped_column()
    cancelled_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
