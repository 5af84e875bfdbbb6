"""The periodic emails: each student's weekly progress, and reminders of courses left
idle."""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import get_settings
from lms.core.db import utcnow
from lms.modules import courses, emails, users
from lms.modules.enrollments import repository
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.service.enrolling import course_url

WEEKLY_PROGRESS_JOB = "weekly_progress"
COURSE_REMINDER_JOB = "course_reminder"


@jobs.periodic(WEEKLY_PROGRESS_JOB, every_seconds=7 * 86_400)
async def send_weekly_progress(session: AsyncSession) -> None:
    """Each student with an open enrollment or activity this week gets one summary per
    ISO week (the outbox dedupe key makes a second run that week a no-op)."""
    now = utcnow()
    year, week, _ = now.isocalendar()
    enrollments, completed, seconds = await repository.weekly_activity(
        session, since=now - timedelta(days=7)
    )
    by_student: dict[uuid.UUID, list[Enrollment]] = defaultdict(list)
    for enrollment in enrollments:
        by_student[enrollment.student_id].append(enrollment)
    students = await users.get_user_summaries(session, list(by_student))
    course_map = await courses.get_courses(session, [e.course_id for e in enrollments])
    for student_id, items in by_student.items():
        student = students.get(student_id)
        if student is None or not student.is_active:
            continue
        summary = [
            {"title": course_map[e.course_id].title, "progress": float(e.progress_percentage)}
            for e in items
            if e.course_id in course_map
        ]
        await emails.queue_email(
            session,
            to=student.email,
            template="weekly_progress",
            context={
                "full_name": student.full_name,
                "lessons_completed": completed.get(student_id, 0),
                "minutes_spent": seconds.get(student_id, 0) // 60,
                "courses": summary,
            },
            dedupe_key=f"weekly_progress:{student_id}:{year}-W{week:02d}",
        )


@jobs.periodic(COURSE_REMINDER_JOB, every_seconds=86_400)
async def send_course_reminders(session: AsyncSession) -> None:
    """Students who have not opened an active enrollment for ``LMS_REMINDER_INACTIVE_DAYS``
    get a reminder, at most one per enrollment per period of that many days (outbox
    dedupe key ``reminder:<enrollment>:<period>``), so running the job twice sends
    nothing new."""
    settings = get_settings()
    days = max(1, settings.reminder_inactive_days)
    now = utcnow()
    period = now.date().toordinal() // days
    candidates = await repository.inactive_enrollments(session, before=now - timedelta(days=days))
    course_map = await courses.get_courses(session, [e.course_id for e in candidates])
    students = await users.get_user_summaries(session, [e.student_id for e in candidates])
    for enrollment in candidates:
        course = course_map.get(enrollment.course_id)
        student = students.get(enrollment.student_id)
        if course is None or not course.is_published or student is None or not student.is_active:
            continue
        idle_since = enrollment.last_accessed_at or enrollment.enrolled_at
        await emails.queue_email(
            session,
            to=student.email,
            template="course_reminder",
            context={
                "full_name": student.full_name,
                "course_title": course.title,
                "days": (now - idle_since).days,
                "progress": float(enrollment.progress_percentage),
                "course_url": course_url(settings, course),
            },
            dedupe_key=f"reminder:{enrollment.id}:{period}",
        )
