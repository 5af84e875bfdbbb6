"""Enrollments, per-lesson progress (seed 003's fields) and the time log behind the
weekly summaries."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, UUIDPrimaryKey, utcnow

ENROLLMENT_STATUSES = ("active", "completed", "dropped", "expired")
PROGRESS_STATUSES = ("not_started", "in_progress", "completed")


class Enrollment(UUIDPrimaryKey, Base):
    __tablename__ = "enrollments"
    __table_args__ = (
        UniqueConstraint("student_id", "course_id"),
        CheckConstraint(
            "status IN ('active', 'completed', 'dropped', 'expired')", name="status_known"
        ),
        CheckConstraint("rating IS NULL OR rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint(
            "completed_lessons_count >= 0 AND total_lessons_count >= 0 "
            "AND total_time_spent_seconds >= 0",
            name="counters_not_negative",
        ),
        CheckConstraint(
            "progress_percentage >= 0 AND progress_percentage <= 100", name="progress_range"
        ),
        Index("ix_enrollments_course_status", "course_id", "status"),
    )

    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    # RESTRICT: a course with students cannot disappear from under them.
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="RESTRICT"))
    # At most one cohort of the course (the course's cohort table keeps the seat count).
    cohort_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="SET NULL"), index=True
    )
    # Who enrolled the student when it was not the student (staff enrollment, an import).
    enrolled_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    enrolled_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    status: Mapped[str] = mapped_column(String(50), default="active")
    progress_percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    completed_lessons_count: Mapped[int] = mapped_column(default=0)
    total_lessons_count: Mapped[int] = mapped_column(default=0)
    # 64-bit: a year of reported seconds must not overflow, however many updates arrive.
    total_time_spent_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    last_accessed_at: Mapped[datetime | None] = mapped_column()
    certificate_issued_at: Mapped[datetime | None] = mapped_column()
    rating: Mapped[int | None] = mapped_column()
    review: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column()


class LessonProgress(UUIDPrimaryKey, Base):
    __tablename__ = "lesson_progress"
    __table_args__ = (
        UniqueConstraint("enrollment_id", "lesson_id"),
        CheckConstraint(
            "status IN ('not_started', 'in_progress', 'completed')", name="status_known"
        ),
        CheckConstraint(
            "time_spent_seconds >= 0 AND last_position_seconds >= 0", name="times_not_negative"
        ),
        CheckConstraint(
            "completion_percentage >= 0 AND completion_percentage <= 100",
            name="completion_range",
        ),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(String(50), default="not_started")
    started_at: Mapped[datetime | None] = mapped_column()
    completed_at: Mapped[datetime | None] = mapped_column()
    time_spent_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    last_position_seconds: Mapped[int] = mapped_column(default=0)
    completion_percentage: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))
    attempts_count: Mapped[int] = mapped_column(default=0)
    progress_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    updated_at: Mapped[datetime | None] = mapped_column()


class LearningTime(UUIDPrimaryKey, Base):
    """Seconds of learning reported by one progress update: the totals on the enrollment
    say how much, this log says when (weekly summaries, activity over time)."""

    __tablename__ = "learning_time"
    __table_args__ = (
        CheckConstraint("seconds > 0", name="seconds_positive"),
        Index("ix_learning_time_enrollment_at", "enrollment_id", "recorded_at"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    # The time stays counted when its lesson is deleted.
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL"), index=True
    )
    seconds: Mapped[int] = mapped_column()
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
