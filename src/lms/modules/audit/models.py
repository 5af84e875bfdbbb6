"""The audit module's table: one row per audited action, never changed afterwards.

No foreign keys: an entry outlives what it names (a deleted course, an erased account)
and the row is never rewritten, so ids are kept as plain values. On PostgreSQL a trigger
(migration ``0017_audit``) refuses ``UPDATE``, ``DELETE`` and ``TRUNCATE`` unless the
transaction has set ``lms.audit_maintenance`` (the retention job and erasure only)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, UUIDPrimaryKey, utcnow

CONTEXTS = ("user", "act_as", "system")


class AuditEntry(UUIDPrimaryKey, Base):
    __tablename__ = "audit_entries"
    __table_args__ = (
        CheckConstraint("context IN ('user', 'act_as', 'system')", name="context_known"),
        Index("ix_audit_entries_occurred_at_id", "occurred_at", "id"),
        Index("ix_audit_entries_course_id_occurred_at", "course_id", "occurred_at"),
        Index("ix_audit_entries_actor_id_occurred_at", "actor_id", "occurred_at"),
        Index("ix_audit_entries_acting_for_id", "acting_for_id"),
        Index("ix_audit_entries_target", "target_type", "target_id"),
    )

    occurred_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Who did it: the signed-in person (with an "act as" token, the admin); None for the
    # system (a job, a provider's callback).
    actor_id: Mapped[uuid.UUID | None] = mapped_column()
    # With an "act as" token: the account the admin acted as.
    acting_for_id: Mapped[uuid.UUID | None] = mapped_column()
    context: Mapped[str] = mapped_column(String(10))
    client_address: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    # Dotted name of what happened: ``user.role_changed``, ``course.published``.
    action: Mapped[str] = mapped_column(String(100))
    target_type: Mapped[str] = mapped_column(String(50))
    target_id: Mapped[uuid.UUID | None] = mapped_column()
    # The course the target belongs to (the course's own audit view reads by it).
    course_id: Mapped[uuid.UUID | None] = mapped_column()
    # ``{"before": {...}, "after": {...}}``: ids, states and numbers, never secrets,
    # hashes, tokens, email addresses or names.
    change: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
