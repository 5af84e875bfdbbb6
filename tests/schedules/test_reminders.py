"""Due-soon reminders: 24 hours before the due date that applies to each student, in
their time zone, once per student and item, never for handed-in work or a dropped
enrollment; a re-run and a run after a crash mid-batch send nothing twice."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from lms.core import jobs
from lms.core.config import Settings
from lms.modules import emails
from lms.modules.schedules import DUE_REMINDER_JOB
from lms.modules.schedules.models import DueReminder
from lms.modules.schedules.service import send_due_reminders
from tests.conftest import Mailbox
from tests.factories.accounts import Account, AccountFactory
from tests.factories.api import ok
from tests.factories.teams import create_cohort, enroll_by_staff
from tests.schedules.conftest import (
    Clock,
    scheduled_course,
    set_lesson_schedule,
    set_quiz_schedule,
    set_time_zone,
    utc,
)

# Noon in New York on the first Monday of daylight time (8 March 2026 was the change).
DUE = utc("2026-03-09T16:00:00+00:00")


def _reminders(mailbox: Mailbox, title: str) -> list[Any]:
    return [m for m in mailbox.messages() if m["Subject"].startswith(f"Due soon: {title} (")]


def test_the_job_runs_every_quarter_hour() -> None:
    assert jobs.periodic_jobs()[DUE_REMINDER_JOB].every_seconds == 900


async def test_each_student_once_in_their_zone(
    app: Any,
    client: httpx.AsyncClient,
    drain: Any,
    mailbox: Mailbox,
    instructor: Account,
    make_account: AccountFactory,
    clock: Clock,
) -> None:
    people = {
        zone: await make_account("student")
        for zone in ("America/New_York", "Africa/Cairo", "Asia/Kuwait")
    }
    course = await scheduled_course(client, instructor, *people.values())
    for zone, person in people.items():
        await set_time_zone(client, person, zone)
    await set_lesson_schedule(client, instructor, course.assignment_id, due_at=DUE)
    await drain()
    clock.set(DUE - timedelta(hours=25))  # too early: nothing yet
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    assert _reminders(mailbox, course.assignment_title) == []
    clock.set(DUE - timedelta(hours=23, minutes=50))
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    sent = _reminders(mailbox, course.assignment_title)
    assert sorted(m["To"] for m in sent) == sorted(p.email for p in people.values())
    by_person = {m["To"]: mailbox.text_of(m) for m in sent}
    # Noon in New York, on daylight time since the day before; six and seven in the evening
    # in Cairo and Kuwait (Babel puts a narrow no-break space before AM and PM).
    assert "March 9, 2026, 12:00\u202fPM EDT" in by_person[people["America/New_York"].email]
    assert "March 9, 2026, 6:00\u202fPM +0200" in by_person[people["Africa/Cairo"].email]
    assert "March 9, 2026, 7:00\u202fPM +0300" in by_person[people["Asia/Kuwait"].email]
    assert course.title in by_person[people["Asia/Kuwait"].email]
    # Later runs, even with the clock on, send nothing more.
    clock.advance(hours=12)
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    assert len(_reminders(mailbox, course.assignment_title)) == 3


async def test_not_for_handed_in_work_dropped_enrollments_or_drafts(
    app: Any,
    client: httpx.AsyncClient,
    drain: Any,
    mailbox: Mailbox,
    instructor: Account,
    student: Account,
    other_student: Account,
    make_account: AccountFactory,
    clock: Clock,
) -> None:
    course = await scheduled_course(client, instructor, student, other_student)
    dropped = await make_account("student")
    enrollment = await enroll_by_staff(client, instructor, course.id, user_id=dropped.id)
    ok(
        await client.delete(
            f"/courses/{course.id}/enrollments/{enrollment['id']}", headers=instructor.headers
        )
    )
    await set_quiz_schedule(client, instructor, course.quiz_id, due_at=DUE)
    draft = ok(
        await client.post(
            f"/courses/{course.id}/quizzes", headers=instructor.headers, json={"title": "Draft"}
        ),
        201,
    )
    await set_quiz_schedule(client, instructor, draft["id"], due_at=DUE)
    clock.set(DUE - timedelta(hours=3))
    attempt = ok(await client.post(f"/quizzes/{course.quiz_id}/attempts", headers=student.headers))
    ok(
        await client.post(
            f"/attempts/{attempt['id']}/submit", headers=student.headers, json={"answers": []}
        )
    )
    await drain()
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    assert [m["To"] for m in _reminders(mailbox, course.quiz_title)] == [other_student.email]
    assert _reminders(mailbox, "Draft") == []


async def test_the_students_own_due_date_decides(
    app: Any,
    client: httpx.AsyncClient,
    drain: Any,
    mailbox: Mailbox,
    instructor: Account,
    make_account: AccountFactory,
    clock: Clock,
) -> None:
    course = await scheduled_course(client, instructor)
    cohort = await create_cohort(client, instructor, course.id)
    on_time, extended, moved_up = [await make_account("student") for _ in range(3)]
    for person in (on_time, extended):
        await enroll_by_staff(client, instructor, course.id, user_id=person.id)
    await enroll_by_staff(
        client, instructor, course.id, user_id=moved_up.id, cohort_id=cohort["id"]
    )
    later = DUE + timedelta(days=7)
    await set_lesson_schedule(client, instructor, course.assignment_id, due_at=later)
    lesson = f"/lessons/{course.assignment_id}/schedule/overrides"
    ok(
        await client.post(
            lesson,
            headers=instructor.headers,
            json={"cohort_id": cohort["id"], "due_at": DUE.isoformat()},
        )
    )
    ok(
        await client.post(
            lesson,
            headers=instructor.headers,
            json={
                "student_id": str(extended.id),
                "due_at": (later + timedelta(days=7)).isoformat(),
            },
        )
    )
    await drain()
    clock.set(DUE - timedelta(hours=2))
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    assert [m["To"] for m in _reminders(mailbox, course.assignment_title)] == [moved_up.email]
    clock.set(later - timedelta(hours=2))
    await jobs.run_periodic(app.state.sessionmaker, DUE_REMINDER_JOB)
    await drain()
    assert sorted(m["To"] for m in _reminders(mailbox, course.assignment_title)) == sorted(
        [moved_up.email, on_time.email]
    )


async def test_a_run_killed_mid_batch_resumes_without_duplicates(
    app: Any,
    client: httpx.AsyncClient,
    drain: Any,
    mailbox: Mailbox,
    settings: Settings,
    instructor: Account,
    make_account: AccountFactory,
    clock: Clock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    students = [await make_account("student") for _ in range(3)]
    course = await scheduled_course(client, instructor, *students)
    await set_lesson_schedule(client, instructor, course.assignment_id, due_at=DUE)
    await drain()
    clock.set(DUE - timedelta(hours=1))
    small = settings.model_copy(update={"due_reminder_batch_size": 1})
    real = emails.queue_email
    calls = 0

    async def failing_after_one(*args: Any, **kwargs: Any) -> None:
        nonlocal calls
        calls += 1
        if calls == 2:
            raise RuntimeError("worker killed")
        await real(*args, **kwargs)

    monkeypatch.setattr(emails, "queue_email", failing_after_one)
    async with app.state.sessionmaker() as session:
        with pytest.raises(RuntimeError):
            await send_due_reminders(session, settings=small)
        await session.rollback()
    async with app.state.sessionmaker() as session:
        assert await session.scalar(select(func.count()).select_from(DueReminder)) == 1
    monkeypatch.setattr(emails, "queue_email", real)
    async with app.state.sessionmaker() as session:
        assert await send_due_reminders(session, settings=small) == 2
    async with app.state.sessionmaker() as session:
        assert await send_due_reminders(session, settings=small) == 0
    await drain()
    sent = _reminders(mailbox, course.assignment_title)
    assert sorted(m["To"] for m in sent) == sorted(s.email for s in students)
