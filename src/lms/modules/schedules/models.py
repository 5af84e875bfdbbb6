"""The schedules module's tables: an item's dates and late policy, the overrides per
student or cohort, the due-soon reminders sent, and each account's calendar feed."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, Timestamps, UUIDPrimaryKey, utcnow

ITEM_TYPES = ("quiz", "assignment")
LATE_POLICIES = ("accept", "penalty", "refuse")


class ItemSchedule(UUIDPrimaryKey, Timestamps, Base):
    """The dates of one quiz or assignment lesson (``item_type``, ``item_id``) of a
    course, and what happens to work handed in after ``due_at``."""

    __tablename__ = "item_schedules"
    __table_args__ = (
        UniqueConstraint("item_type", "item_id"),
        Index("ix_item_schedules_course", "course_id"),
        Index("ix_item_schedules_due_at", "due_at"),
        CheckConstraint("item_type IN ('quiz', 'assignment')", name="item_type_known"),
        CheckConstraint("late_policy IN ('accept', 'penalty', 'refuse')", name="late_policy_known"),
        CheckConstraint(
            "available_from IS NULL OR due_at IS NULL OR available_from <= due_at",
            name="opens_before_due",
        ),
        CheckConstraint(
            "due_at IS NULL OR available_until IS NULL OR due_at <= available_until",
            name="due_before_close",
        ),
        CheckConstraint(
            "available_from IS NULL OR available_until IS NULL OR available_from < available_until",
            name="opens_before_close",
        ),
        CheckConstraint(
            "late_policy <> 'penalty' OR penalty_percent_per_day IS NOT NULL",
            name="penalty_has_rate",
        ),
        CheckConstraint(
            "penalty_percent_per_day IS NULL"
            " OR (penalty_percent_per_day > 0 AND penalty_percent_per_day <= 100)",
            name="penalty_rate_range",
        ),
        CheckConstraint(
            "penalty_floor_percent >= 0 AND penalty_floor_percent <= 100",
            name="penalty_floor_range",
        ),
    )

    item_type: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[uuid.UUID] = mapped_column()
    course_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    # The quiz's title when the schedule was last set (a lesson's is read from the lesson).
    title: Mapped[str] = mapped_column(String(255), default="")
    available_from: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    available_until: Mapped[datetime | None] = mapped_column()
    late_policy: Mapped[str] = mapped_column(String(20), default="accept")
    penalty_percent_per_day: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    # The score never falls below this percent of itself: the penalty stops at 100 - floor.
    penalty_floor_percent: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("0"))


class ScheduleOverride(UUIDPrimaryKey, Timestamps, Base):
    """Other dates, attempts or time limit for one student or one cohort. A NULL field
    keeps what the less specific level says (student over cohort over the item)."""

    __tablename__ = "schedule_overrides"
    __table_args__ = (
        UniqueConstraint("schedule_id", "student_id"),
        UniqueConstraint("schedule_id", "cohort_id"),
        CheckConstraint(
            "(student_id IS NULL) <> (cohort_id IS NULL)", name="one_student_or_cohort"
        ),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts_positive"),
        CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit_positive"
        ),
    )

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("item_schedules.id", ondelete="CASCADE")
    )
    student_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    cohort_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("cohorts.id", ondelete="CASCADE"), index=True
    )
    available_from: Mapped[datetime | None] = mapped_column()
    due_at: Mapped[datetime | None] = mapped_column()
    available_until: Mapped[datetime | None] = mapped_column()
    max_attempts: Mapped[int | None] = mapped_column()
    time_limit_minutes: Mapped[int | None] = mapped_column()


class DueReminder(Base):
    """One due-soon reminder per student and item: the row is written with the email's
    outbox row, so a second run (or a run after a crash) never sends it again."""

    __tablename__ = "due_reminders"

    schedule_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("item_schedules.id", ondelete="CASCADE"), primary_key=True
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    due_at: Mapped[datetime] = mapped_column()
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)


class CalendarFeed(Base):
    """The secret token of an account's iCalendar feed (one per account, rotatable)."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
