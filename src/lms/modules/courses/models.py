"""Courses and their lessons (the union of both seeds' fields, plus price and currency)."""

from __future__ import annotations

import uuid
from datetime import datetime
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
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey

DIFFICULTY_LEVELS = ("beginner", "intermediate", "advanced")
LESSON_TYPES = ("video", "text", "document", "quiz", "assignment")


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


class Lesson(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "lessons"
    __table_args__ = (
        UniqueConstraint("course_id", "slug"),
        CheckConstraint(_one_of("lesson_type", LESSON_TYPES), name="lesson_type_known"),
        CheckConstraint(
            "parent_lesson_id IS NULL OR parent_lesson_id <> id", name="not_own_parent"
        ),
        Index("ix_lessons_course_order", "course_id", "order_index"),
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
