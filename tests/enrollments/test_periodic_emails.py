"""The weekly progress summary and the inactivity reminder: who gets them, and that a
second run of the job sends nothing new."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import httpx
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.db import utcnow
from lms.core.session import commit
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.service import COURSE_REMINDER_JOB, WEEKLY_PROGRESS_JOB
from tests.conftest import Mailbox
from tests.factories.accounts import Account, AccountFactory
from tests.factories.courses import published_course
from tests.factories.enrollments import complete_lesson, enroll


async def _idle_since(db: AsyncSession, enrollment_id: str, days: int) -> None:
    moment = utcnow() - timedelta(days=days)
    await db.execute(
        update(Enrollment)
        .where(Enrollment.id == uuid.UUID(enrollment_id))
        .values(enrolled_at=moment, last_accessed_at=moment)
    )
    await commit(db)


def test_both_jobs_are_scheduled() -> None:
    scheduled = jobs.periodic_jobs()
    assert scheduled[WEEKLY_PROGRESS_JOB].every_seconds == 7 * 86_400
    assert scheduled[COURSE_REMINDER_JOB].every_seconds == 86_400


async def test_reminder_goes_once_to_students_idle_past_the_threshold(
    app: Any,
    client: httpx.AsyncClient,
    db: AsyncSession,
    drain: Any,
    mailbox: Mailbox,
    instructor: Account,
    student: Account,
    other_student: Account,
    make_account: AccountFactory,
) -> None:
    course, lessons = await published_course(client, instructor, title="Knitting")
    idle = await enroll(client, student, course["id"])
    fresh = await enroll(client, other_student, course["id"])
    finisher = await make_account("student")
    done = await enroll(client, finisher, course["id"])
    for lesson in lessons:
        await complete_lesson(client, finisher, done["id"], lesson["id"])
    await _idle_since(db, idle["id"], days=10)
    await _idle_since(db, fresh["id"], days=2)
    await _idle_since(db, done["id"], days=30)  # completed: no reminder
    await drain()

    await jobs.run_periodic(app.state.sessionmaker, COURSE_REMINDER_JOB)
    await jobs.run_periodic(app.state.sessionmaker, COURSE_REMINDER_JOB)
    await drain()

    reminders = [m for m in mailbox.messages() if m["Subject"] == "Continue Knitting"]
    assert [m["To"] for m in reminders] == [student.email]
    text = mailbox.text_of(reminders[0])
    assert "for 10 days" in text and f"/courses/{course['slug']}" in text


async def test_weekly_summary_reports_the_week_once(
    app: Any,
    client: httpx.AsyncClient,
    drain: Any,
    mailbox: Mailbox,
    instructor: Account,
    student: Account,
    make_account: AccountFactory,
) -> None:
    course, lessons = await published_course(client, instructor, title="Baking")
    enrollment = await enroll(client, student, course["id"])
    await client.put(
        f"/enrollments/{enrollment['id']}/lessons/{lessons[0]['id']}/progress",
        headers=student.headers,
        json={"time_spent_seconds": 600},
    )
    await client.put(
        f"/enrollments/{enrollment['id']}/lessons/{lessons[1]['id']}/progress",
        headers=student.headers,
        json={"time_spent_seconds": 300},
    )
    await complete_lesson(client, student, enrollment["id"], lessons[0]["id"])
    bystander = await make_account("student")  # no enrollment: no summary
    await drain()

    await jobs.run_periodic(app.state.sessionmaker, WEEKLY_PROGRESS_JOB)
    await jobs.run_periodic(app.state.sessionmaker, WEEKLY_PROGRESS_JOB)
    await drain()

    weekly = [m for m in mailbox.messages() if m["Subject"] == "Your week of learning"]
    assert [m["To"] for m in weekly] == [student.email]
    text = mailbox.text_of(weekly[0])
    assert "1 lesson completed, 15 minutes of learning" in text  # one lesson: singular
    assert "Baking: 33.33 %" in text
    assert mailbox.messages(bystander.email) == []
