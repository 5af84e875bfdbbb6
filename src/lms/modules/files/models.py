from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, UUIDPrimaryKey, utcnow

FILE_TYPES = ("video", "image", "document", "other")


class UploadedFile(UUIDPrimaryKey, Base):
    """A stored file. ``filename`` is the stored name (``{id}.{ext}``), ``storage_path``
    the object key in ``storage_provider``; ``original_filename`` is for display only.

    Course materials are files with a ``lesson_id``. It is a plain indexed column, not a
    foreign key, so that this module does not depend on the courses module; who may
    attach and read them is asked of the modules that know (``events``)."""

    __tablename__ = "uploaded_files"
    __table_args__ = (
        CheckConstraint("file_size >= 0", name="file_size_not_negative"),
        CheckConstraint(
            "file_type IN ('video', 'image', 'document', 'other')", name="file_type_known"
        ),
        CheckConstraint(
            "storage_provider IN ('local', 's3', 'azure')", name="storage_provider_known"
        ),
        Index("ix_uploaded_files_uploader_created", "uploader_id", "created_at"),
    )

    uploader_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    filename: Mapped[str] = mapped_column(String(255), unique=True)
    original_filename: Mapped[str] = mapped_column(String(255))
    file_url: Mapped[str] = mapped_column(String(1024))
    storage_path: Mapped[str] = mapped_column(String(1024), unique=True)
    file_type: Mapped[str] = mapped_column(String(50), default="other")
    mime_type: Mapped[str] = mapped_column(String(100))
    file_size: Mapped[int] = mapped_column(BigInteger)
    folder: Mapped[str] = mapped_column(String(100), default="uploads")
    storage_provider: Mapped[str] = mapped_column(String(50), default="local")
    is_public: Mapped[bool] = mapped_column(default=False)
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
