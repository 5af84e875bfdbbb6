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
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow

ATTEMPT_STATUSES = ("in_progress", "submitted", "graded")


class Quiz(UUIDPrimaryKey, Timestamps, Base):
    """A quiz of a course, optionally the assessment of one lesson."""

    __tablename__ = "quizzes"
    __table_args__ = (
        CheckConstraint("quiz_type IN ('practice', 'graded')", name="quiz_type_known"),
        CheckConstraint("passing_score >= 0 AND passing_score <= 100", name="passing_score_range"),
        CheckConstraint(
            "time_limit_minutes IS NULL OR time_limit_minutes > 0", name="time_limit_positive"
        ),
        CheckConstraint("max_attempts IS NULL OR max_attempts > 0", name="max_attempts_positive"),
    )

    course_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), index=True
    )
    # One quiz per lesson at most; the quiz outlives its lesson (detached, not deleted).
    lesson_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("lessons.id", ondelete="SET NULL"), unique=True
    )
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    quiz_type: Mapped[str] = mapped_column(String(20), default="graded")
    passing_score: Mapped[Decimal] = mapped_column(Numeric(5, 2), default=Decimal("70"))
    time_limit_minutes: Mapped[int | None] = mapped_column()
    max_attempts: Mapped[int | None] = mapped_column()
    shuffle_questions: Mapped[bool] = mapped_column(default=True)
    shuffle_options: Mapped[bool] = mapped_column(default=True)
    show_correct_answers: Mapped[bool] = mapped_column(default=True)
    is_published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column()
    # Moves on (in SQL, ``content_version + 1``) with every change to the quiz or its
    # questions, so a quiz and its questions read at one version never change: attempts
    # read them from a per-process cache keyed by it (``service.versions``).
    content_version: Mapped[int] = mapped_column(default=1, server_default=text("1"))
    # The quiz has dates, a late policy or overrides (the schedules module): only then
    # does taking it read them, so an unscheduled quiz pays nothing for the feature.
    # Set with a new content version, so a cached version always knows.
    has_schedule: Mapped[bool] = mapped_column(default=False, server_default=false())


class QuizQuestion(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "quiz_questions"
    __table_args__ = (
        CheckConstraint(
            "question_type IN ('multiple_choice', 'true_false', 'short_answer', 'essay')",
            name="question_type_known",
        ),
        CheckConstraint("points > 0", name="points_positive"),
        Index("ix_quiz_questions_quiz_order", "quiz_id", "order_index"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    question_text: Mapped[str] = mapped_column(Text)
    question_type: Mapped[str] = mapped_column(String(30))
    points: Mapped[Decimal] = mapped_column(Numeric(6, 2), default=Decimal("1"))
    order_index: Mapped[int] = mapped_column(default=0)
    explanation: Mapped[str | None] = mapped_column(Text)
    options: Mapped[list[str] | None] = mapped_column(JSONType)
    # multiple_choice: the right option's text; true_false: "true"/"false";
    # short_answer: accepted answers separated by "|" (none: graded by hand).
    correct_answer: Mapped[str | None] = mapped_column(Text)
    question_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)


class QuizAttempt(UUIDPrimaryKey, Base):
    """One student's attempt at a quiz. The question order, the option order and the
    deadline are fixed when it starts; answers and per-question marks are JSON."""

    __tablename__ = "quiz_attempts"
    __table_args__ = (
        # Two starts that race for the same attempt number: one wins, so max_attempts holds.
        UniqueConstraint("enrollment_id", "quiz_id", "attempt_number"),
        # At most one open attempt per student and quiz.
        Index(
            "uq_quiz_attempts_one_open",
            "enrollment_id",
            "quiz_id",
            unique=True,
            sqlite_where=text("status = 'in_progress'"),
            postgresql_where=text("status = 'in_progress'"),
        ),
        Index("ix_quiz_attempts_quiz_status", "quiz_id", "status"),
        Index("ix_quiz_attempts_status_deadline", "status", "deadline_at"),
        CheckConstraint(
            "status IN ('in_progress', 'submitted', 'graded')", name="attempt_status_known"
        ),
        CheckConstraint("attempt_number > 0", name="attempt_number_positive"),
    )

    quiz_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("quizzes.id", ondelete="CASCADE"))
    enrollment_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("enrollments.id", ondelete="CASCADE")
    )
    student_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    attempt_number: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20), default="in_progress")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column()
    submitted_at: Mapped[datetime | None] = mapped_column()
    graded_at: Mapped[datetime | None] = mapped_column()
    score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    max_score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    percentage: Mapped[Decimal | None] = mapped_column(Numeric(6, 2))
    is_passed: Mapped[bool | None] = mapped_column()
    time_taken_seconds: Mapped[int | None] = mapped_column()
    # [{"question_id": str, "answer": str | None}]
    answers: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    # The question ids in the order this attempt shows them.
    question_order: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # Question id -> its options in the order this attempt shows them.
    option_order: Mapped[dict[str, list[str]]] = mapped_column(JSONType, default=dict)
    # Question id -> {"points": str | None, "is_correct": bool | None, "feedback": str | None}
    marks: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSONType)
    feedback: Mapped[str | None] = mapped_column(Text)
    graded_by_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    closed_at_deadline: Mapped[bool] = mapped_column(default=False)
    # Submitted after the quiz's due date (its schedule or the student's override), and
    # the late penalty its policy applied, in percent of the score (NULL: none).
    is_late: Mapped[bool] = mapped_column(default=False, server_default=false())
    late_penalty_percent: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # Optimistic lock: of two concurrent changes to one attempt, the second fails
    # instead of overwriting the first (SQLite has no SELECT ... FOR UPDATE).
    version_id: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version_id}
