"""Import jobs and the lines they refused."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, UUIDPrimaryKey, utcnow


class ImportJob(UUIDPrimaryKey, Base):
    """One uploaded file and how far its import went. ``processed`` counts the data
    rows committed so far: a resumed run starts after them."""

    __tablename__ = "import_jobs"
    __table_args__ = (
        CheckConstraint("kind IN ('roster', 'users')", name="kind_known"),
        CheckConstraint(
            "state IN ('queued', 'running', 'succeeded', 'failed')", name="state_known"
        ),
    )

    kind: Mapped[str] = mapped_column(String(20))
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    file_key: Mapped[str] = mapped_column(String(500))
    storage_provider: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(String(20), default="queued")
    total: Mapped[int | None] = mapped_column()
    processed: Mapped[int] = mapped_column(default=0)
    created: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    unchanged: Mapped[int] = mapped_column(default=0)
    failed: Mapped[int] = mapped_column(default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    finished_at: Mapped[datetime | None] = mapped_column()


class ImportJobError(UUIDPrimaryKey, Base):
    """A refused line: its number in the file (the header is line 1) and why."""

    __tablename__ = "import_job_errors"
    __table_args__ = (Index("ix_import_job_errors_job_line", "job_id", "line"),)

    job_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("import_jobs.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column()
    email: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(Text)
