from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, UUIDPrimaryKey, utcnow


class Certificate(UUIDPrimaryKey, Base):
    """One certificate per enrollment (unique), with a unique public number. The PDF is
    an object in the configured storage backend (``storage_provider`` + ``pdf_path``)."""

    __tablename__ = "certificates"

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="RESTRICT"), unique=True
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    certificate_number: Mapped[str] = mapped_column(String(50), unique=True)
    pdf_path: Mapped[str | None] = mapped_column(String(1024))
    storage_provider: Mapped[str] = mapped_column(String(20), default="local")
    completion_date: Mapped[datetime] = mapped_column()
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    is_revoked: Mapped[bool] = mapped_column(default=False)
    revoked_at: Mapped[datetime | None] = mapped_column()
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    revoked_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
