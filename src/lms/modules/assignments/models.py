from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, Timestamps, UUIDPrimaryKey, utcnow


class AssignmentSubmission(UUIDPrimaryKey, Timestamps, Base):
    """A student's work for an assignment lesson: one row per student and lesson, updated
    in place on each resubmission (``submission_count`` says how many times)."""

    __tablename__ = "assignment_submissions"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "lesson_id"),
        Index("ix_assignment_submissions_lesson_status", "lesson_id", "status"),
        CheckConstraint("status IN ('submitted', 'graded')", name="submission_status_known"),
        CheckConstraint("score IS NULL OR (score >= 0 AND score <= 100)", name="score_range"),
        CheckConstraint("text IS NOT NULL OR file_id IS NOT NULL", name="has_content"),
    )

    lesson_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("lessons.id", ondelete="CASCADE"))
    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str | None] = mapped_column(Text)
    # An uploaded file of the files module; kept as a plain id (no foreign key).
    file_id: Mapped[uuid.UUID | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="submitted")
    submission_count: Mapped[int] = mapped_column(default=1)
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    is_passed: Mapped[bool | None] = mapped_column()
    feedback: Mapped[str | None] = mapped_column(Text)
    # Submitted after the lesson's due date, and the late penalty its policy applied, in
    # percent of the score (NULL: none).
    is_late: Mapped[bool] = mapped_column(default=False, server_default=false())
    late_penalty_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    graded_at: Mapped[datetime | None] = mapped_column()
    graded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    # Optimistic lock: a grade and a resubmission racing cannot both win.
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
