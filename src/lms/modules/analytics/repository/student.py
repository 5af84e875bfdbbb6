"""A student's own figures: the summary of their enrollments, attempts and certificates,
their latest activity and one line per enrolled course."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Uuid, cast, func, literal_column, null, select, true, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.analytics.repository.aggregates import (
    count_of,
    fetch_all,
    fetch_one,
    finished_attempts,
    passed_count,
    score_figures,
)
from lms.modules.certificates.models import Certificate
from lms.modules.courses.models import Course, Lesson
from lms.modules.enrollments.models import Enrollment, LessonProgress
from lms.modules.quizzes.models import Quiz, QuizAttempt


async def student_summary(session: AsyncSession, student_id: uuid.UUID) -> dict[str, Any]:
    """Enrollment, quiz and certificate figures of one student, in one query."""
    enrollments = (
        select(
            func.count(Enrollment.status).label("enrolled"),
            count_of(Enrollment.status == "completed", Enrollment.status).label("completed"),
            count_of(Enrollment.status == "active", Enrollment.status).label("in_progress"),
            func.coalesce(func.sum(Enrollment.completed_lessons_count), 0).label("lessons"),
            func.coalesce(func.sum(Enrollment.total_time_spent_seconds), 0).label("seconds"),
            func.sum(Enrollment.progress_percentage).label("progress_sum"),
        )
        .where(Enrollment.student_id == student_id)
        .subquery("e")
    )
    attempts = (
        select(
            *score_figures(),
            func.max(QuizAttempt.percentage).label("best_score"),
            passed_count(),
        )
        .where(QuizAttempt.student_id == student_id, finished_attempts())
        .subquery("a")
    )
    certificates = (
        select(func.count(Certificate.id).label("certificates"))
        .where(Certificate.student_id == student_id, Certificate.is_revoked.is_(False))
        .subquery("c")
    )
    stmt = (
        select(enrollments, attempts, certificates)
        .select_from(enrollments)
        .join(attempts, true())
        .join(certificates, true())
    )
    return await fetch_one(session, stmt)


async def student_recent_activity(
    session: AsyncSession, student_id: uuid.UUID, *, limit: int
) -> list[dict[str, Any]]:
    """The student's latest lesson progress and finished quiz attempts, newest first."""
    lesson_at = func.coalesce(
        LessonProgress.completed_at, LessonProgress.updated_at, LessonProgress.started_at
    )
    lessons = (
        select(
            literal_column("'lesson'").label("kind"),
            lesson_at.label("at"),
            Enrollment.course_id.label("course_id"),
            Course.title.label("course_title"),
            LessonProgress.lesson_id.label("lesson_id"),
            Lesson.title.label("lesson_title"),
            cast(null(), Uuid).label("quiz_id"),
            cast(null(), Course.title.type).label("quiz_title"),
            LessonProgress.status.label("status"),
            cast(null(), QuizAttempt.percentage.type).label("score"),
        )
        .select_from(LessonProgress)
        .join(Enrollment, Enrollment.id == LessonProgress.enrollment_id)
        .join(Lesson, Lesson.id == LessonProgress.lesson_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            Enrollment.student_id == student_id,
            LessonProgress.status != "not_started",
            lesson_at.is_not(None),
        )
    )
    attempts = (
        select(
            literal_column("'quiz_attempt'").label("kind"),
            func.coalesce(QuizAttempt.graded_at, QuizAttempt.submitted_at).label("at"),
            Quiz.course_id.label("course_id"),
            Course.title.label("course_title"),
            Quiz.lesson_id.label("lesson_id"),
            cast(null(), Course.title.type).label("lesson_title"),
            Quiz.id.label("quiz_id"),
            Quiz.title.label("quiz_title"),
            QuizAttempt.status.label("status"),
            QuizAttempt.percentage.label("score"),
        )
        .select_from(QuizAttempt)
        .join(Quiz, Quiz.id == QuizAttempt.quiz_id)
        .join(Course, Course.id == Quiz.course_id)
        .where(QuizAttempt.student_id == student_id, finished_attempts())
    )
    activity = union_all(lessons, attempts).subquery("activity")
    stmt = select(activity).order_by(activity.c.at.desc(), activity.c.kind).limit(limit)
    return await fetch_all(session, stmt)


async def student_courses(session: AsyncSession, student_id: uuid.UUID) -> list[dict[str, Any]]:
    """Every enrollment of the student with its course title, most recently used first."""
    stmt = (
        select(
            Enrollment.id.label("enrollment_id"),
            Enrollment.course_id,
            Course.title.label("course_title"),
            Enrollment.status,
            Enrollment.progress_percentage,
            Enrollment.completed_lessons_count,
            Enrollment.total_lessons_count,
            Enrollment.total_time_spent_seconds,
            Enrollment.enrolled_at,
            Enrollment.last_accessed_at,
            Enrollment.completed_at,
        )
        .join(Course, Course.id == Enrollment.course_id)
        .where(Enrollment.student_id == student_id)
        .order_by(
            func.coalesce(Enrollment.last_accessed_at, Enrollment.enrolled_at).desc(),
            Enrollment.id,
        )
    )
    return await fetch_all(session, stmt)
