"""Courses and their lessons (the union of both seeds' fields, plus price and currency)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

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

from lms.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey

DIFFICULTY_LEVELS = ("beginner", "intermediate", "advanced")
LESSON_TYPES = ("video", "text", "document", "quiz", "assignment")
# What ``Lesson.unlock_after_days`` counts from.
UNLOCK_ANCHORS = ("enrollment", "cohort_start")
MAX_UNLOCK_AFTER_DAYS = 3650


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Course(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "courses"
    __table_args__ = (
        CheckConstraint(
            f"difficulty_level IS NULL OR {_one_of('difficulty_level', DIFFICULTY_LEVELS)}",
            name="difficulty_level_known",
        ),
        CheckConstraint("price >= 0", name="price_not_negative"),
        Index("ix_courses_published_created", "is_published", "created_at"),
    )

    title: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255), unique=True, index=True)
    description: Mapped[str | None] = mapped_column(Text)
    instructor_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="RESTRICT"), index=True
    )
    category: Mapped[str | None] = mapped_column(String(100), index=True)
    difficulty_level: Mapped[str | None] = mapped_column(String(50), index=True)
    is_published: Mapped[bool] = mapped_column(default=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column()
    thumbnail_url: Mapped[str | None] = mapped_column(String(500))
    estimated_duration_minutes: Mapped[int | None] = mapped_column()
    price: Mapped[Decimal] = mapped_column(Numeric(10, 2), default=Decimal("0.00"))
    currency: Mapped[str] = mapped_column(String(3), default="EGP")
    course_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Drip release: each lesson needs the one before it (by order) completed first.
    lessons_in_order: Mapped[bool] = mapped_column(default=False, server_default=false())


class Lesson(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        CheckConstraint(_one_of("lesson_type", LESSON_TYPES), name="lesson_type_known"),
        CheckConstraint(
            "parent_lesson_id IS NULL OR parent_lesson_id <> id", name="not_own_parent"
        ),
        Index("ix_lessons_course_order", "course_id", "order_index"),
        CheckConstraint(
            "unlock_at IS NULL OR unlock_after_days IS NULL", name="one_unlock_date_rule"
        ),
        CheckConstraint(
            f"unlock_after_days IS NULL OR unlock_after_days BETWEEN 0 AND {MAX_UNLOCK_AFTER_DAYS}",
            name="unlock_after_days_range",
        ),
        CheckConstraint(
            _one_of("unlock_relative_to", UNLOCK_ANCHORS), name="unlock_relative_to_known"
        ),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(255))
    slug: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    content: Mapped[str | None] = mapped_column(Text)
    lesson_type: Mapped[str] = mapped_column(String(50))
    order_index: Mapped[int] = mapped_column()
    # A nested lesson whose parent is deleted moves up to the top level.
    parent_lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL"), index=True
    )
    duration_minutes: Mapped[int | None] = mapped_column()
    video_url: Mapped[str | None] = mapped_column(String(500))
    is_preview: Mapped[bool] = mapped_column(default=False)
    lesson_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Drip release (see service.drip): available from an instant, or some days after the
    # student's enrollment or cohort start; and after its prerequisites are completed.
    unlock_at: Mapped[datetime | None] = mapped_column()
    unlock_after_days: Mapped[int | None] = mapped_column()
    unlock_relative_to: Mapped[str] = mapped_column(
        String(20), default="enrollment", server_default="enrollment"
    )


class LessonPrerequisite(Base):
    """A lesson that must be completed before another lesson of the same course opens
    (the service keeps both in one course and the graph without cycles)."""

    __tablename__ = "lesson_prerequisites"
    __table_args__ = (CheckConstraint("lesson_id <> prerequisite_id", name="not_own_prerequisite"),)

    lesson_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True
    )
    prerequisite_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("lessons.id", ondelete="CASCADE"), primary_key=True, index=True
    )


STAFF_ROLES = ("co_instructor", "assistant")


class CourseStaff(UUIDPrimaryKey, Timestamps, Base):
    """A member of a course's team beside its owner (``Course.instructor_id``)."""

    __tablename__ = "course_staff"
    __table_args__ = (
        UniqueConstraint("course_id", "user_id"),
        CheckConstraint(_one_of("role", STAFF_ROLES), name="role_known"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(20))


class Cohort(UUIDPrimaryKey, Timestamps, Base):
    """A group of a course's students (a class, an intake). ``member_count`` counts the
    enrollments placed in it; the seat is taken by one conditional UPDATE, so the
    capacity holds under concurrent enrollments on every database."""

    __tablename__ = "cohorts"
    __table_args__ = (
        UniqueConstraint("course_id", "name"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
        CheckConstraint("member_count >= 0", name="member_count_not_negative"),
        CheckConstraint(
            "capacity IS NULL OR member_count <= capacity", name="member_count_within_capacity"
        ),
        CheckConstraint(
            "starts_on IS NULL OR ends_on IS NULL OR starts_on <= ends_on", name="dates_ordered"
        ),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(255))
    starts_on: Mapped[date | None] = mapped_column()
    ends_on: Mapped[date | None] = mapped_column()
    capacity: Mapped[int | None] = mapped_column()
    member_count: Mapped[int] = mapped_column(default=0)


class CohortAssistant(Base):
    """An assistant assigned to a cohort: it grades and reads only those cohorts'
    students (an assistant with no cohort works on the whole course)."""

    __tablename__ = "cohort_assistants"

    cohort_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), primary_key=True
    )
    staff_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("course_staff.id", ondelete="CASCADE"), primary_key=True, index=True
    )
