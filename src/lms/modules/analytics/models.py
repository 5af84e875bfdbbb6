"""Reporting indexes on other modules' tables (analytics owns no table).

Each index lets one group of analytics queries read an index alone (an index-only scan
on PostgreSQL, a covering index on SQLite) instead of visiting one table page per row:
at a million enrollments that is the difference between ~1 s and a few ms for a large
course (measured in benchmarks/README.md). The columns are key columns, not
``INCLUDE``, so that SQLite gets the same covering indexes.

Write cost: each is one more index entry per insert, and an update of an indexed column
(a progress update changes ``last_accessed_at`` and the time totals) can no longer be a
HOT update. Those rows are rarely HOT-updatable anyway (tables are filled to 100 %), so
the cost is about one extra index insertion per progress update.
"""

from __future__ import annotations

from sqlalchemy import Index, text

from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.payments.models import Payment
from lms.modules.quizzes.models import QuizAttempt
from lms.modules.users.models import User

REPORTING_INDEXES = (
    # A course's figures: counts by status, recent activity, progress, ratings, time,
    # its enrollment trend, distinct students (course and instructor analytics).
    Index(
        "ix_enrollments_course_report",
        Enrollment.course_id,
        Enrollment.status,
        Enrollment.enrolled_at,
        Enrollment.completed_at,
        Enrollment.last_accessed_at,
        Enrollment.progress_percentage,
        Enrollment.rating,
        Enrollment.total_time_spent_seconds,
        Enrollment.student_id,
    ),
    # A course's enrollment trend: the enrollments and the completions of one course in
    # a window, read as a range of one narrow index each (the report index above has
    # ``status`` before the timestamps, so a window over it scans the whole course).
    Index("ix_enrollments_course_enrolled", Enrollment.course_id, Enrollment.enrolled_at),
    Index(
        "ix_enrollments_course_completed",
        Enrollment.course_id,
        Enrollment.completed_at,
        sqlite_where=text("completed_at IS NOT NULL"),
        postgresql_where=text("completed_at IS NOT NULL"),
    ),
    # Platform-wide: enrollments by status, enrollments and completions over time.
    Index("ix_enrollments_status", Enrollment.status),
    Index("ix_enrollments_enrolled_at", Enrollment.enrolled_at),
    Index(
        "ix_enrollments_completed_at",
        Enrollment.completed_at,
        sqlite_where=text("completed_at IS NOT NULL"),
        postgresql_where=text("completed_at IS NOT NULL"),
    ),
    # Per-lesson starts and completions of a course. Deliberately without the time
    # column: the index stays a quarter of the size (duplicates are deduplicated) and a
    # progress update that only adds time leaves it alone.
    Index("ix_lesson_progress_lesson_report", LessonProgress.lesson_id, LessonProgress.status),
    # Quiz score distribution, averages and pass rates per quiz.
    Index(
        "ix_quiz_attempts_quiz_report",
        QuizAttempt.quiz_id,
        QuizAttempt.status,
        QuizAttempt.percentage,
        QuizAttempt.is_passed,
    ),
    # Revenue of a course or of an instructor's courses.
    Index(
        "ix_payments_course_report",
        Payment.course_id,
        Payment.status,
        Payment.currency,
        Payment.amount,
        Payment.refunded_amount,
    ),
    # Users by role: total, active (signed in lately), deactivated.
    Index("ix_users_role_activity", User.role, User.is_active, User.last_login_at),
)
