"""The gradebook's own tables: a course's grading scheme, course-grade overrides and
the history of every grade change."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, UUIDPrimaryKey, utcnow

CHANGE_KINDS = ("override_set", "override_cleared", "quiz_regraded", "assignment_graded")


class GradingScheme(Base):
    """A course's grading scheme (categories, weights, drop-lowest, letter scale), as
    validated by ``service.schemes``; a course without one counts every item equally."""

    __tablename__ = "grading_schemes"

    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    scheme: Mapped[dict[str, Any]] = mapped_column(JSONType)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )


class GradeOverride(UUIDPrimaryKey, Base):
    """A course grade set by the course's staff in place of the computed one."""

    __tablename__ = "grade_overrides"
    __table_args__ = (
        CheckConstraint("grade >= 0 AND grade <= 100", name="grade_range"),
        Index("ix_grade_overrides_course", "course_id"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE"), unique=True
    )
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    grade: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    reason: Mapped[str] = mapped_column(Text)
    set_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(default=utcnow)


class GradeChange(UUIDPrimaryKey, Base):
    """One grade change: who, when, before and after. ``item_id`` is the quiz or the
    assignment lesson (NULL for the course grade), ``source_id`` the attempt or the
    submission."""

    __tablename__ = "grade_changes"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('override_set', 'override_cleared', 'quiz_regraded', 'assignment_graded')",
            name="kind_known",
        ),
        Index("ix_grade_changes_enrollment_changed", "enrollment_id", "changed_at"),
    )

    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    student_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(30))
    item_id: Mapped[uuid.UUID | None] = mapped_column()
    source_id: Mapped[uuid.UUID | None] = mapped_column()
    before: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    after: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
