"""Due-soon reminders: one email per student and item, ``LMS_DUE_REMINDER_HOURS``
(24) before the due date that applies to the student (their override, their cohort's,
the item's).

Never for work handed in (the item's module answers ``WorkHandedIn`` in SQL), never
for an enrollment that is dropped, expired or completed, never for an unlisted item
(a draft quiz). Each reminder is a ``due_reminders`` row written in the transaction of
its email's outbox row (work found handed in gets its row and no email, so it is not
asked about again), and the job commits every ``LMS_DUE_REMINDER_BATCH_SIZE``
reminders: a second run, or a run after a worker was killed mid-batch, finds the rows
and sends nothing twice. The email names the due time in the student's time zone."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, jobs
from lms.core.config import Settings, get_settings
from lms.core.session import commit
from lms.modules import courses, emails, enrollments, users
from lms.modules.schedules import repository
from lms.modules.schedules.events import ItemListed, WorkHandedIn
from lms.modules.schedules.models import ItemSchedule, ScheduleOverride
from lms.modules.schedules.service import clock
from lms.modules.schedules.service.items import merge

DUE_REMINDER_JOB = "schedules.due_reminders"


def _handed_in(item_type: Any, item_id: Any, student_id: Any) -> Any:
    return events.condition(
        WorkHandedIn(item_type=item_type, item_id=item_id, student_id=student_id)
    )


async def _candidates(
    session: AsyncSession, *, at: datetime, until: datetime
) -> list[tuple[ItemSchedule, uuid.UUID, datetime]]:
    """(schedule, student, due date) of every active student whose due date of a listed
    item falls in (``at``, ``until``], not reminded yet."""
    listed = events.condition(
        ItemListed(item_type=ItemSchedule.item_type, item_id=ItemSchedule.item_id)
    )
    schedules = await repository.schedules_due_between(
        session, after=at, until=until, listed=listed
    )
    if not schedules:
        return []
    by_course: dict[uuid.UUID, list[ItemSchedule]] = {}
    for schedule in schedules:
        by_course.setdefault(schedule.course_id, []).append(schedule)
    active = await enrollments.list_enrollments(
        session, course_ids=list(by_course), statuses=("active",)
    )
    overrides = await repository.overrides_for(
        session, schedule_ids=[schedule.id for schedule in schedules]
    )
    mine = {(o.schedule_id, o.student_id): o for o in overrides if o.student_id is not None}
    cohorts: dict[tuple[uuid.UUID, uuid.UUID | None], ScheduleOverride] = {
        (o.schedule_id, o.cohort_id): o for o in overrides if o.cohort_id is not None
    }
    done = await repository.reminded_students(session, [schedule.id for schedule in schedules])
    found: list[tuple[ItemSchedule, uuid.UUID, datetime]] = []
    for enrollment in active:
        for schedule in by_course[enrollment.course_id]:
            if (schedule.id, enrollment.student_id) in done:
                continue
            due = merge(
                schedule,
                mine.get((schedule.id, enrollment.student_id)),
                cohorts.get((schedule.id, enrollment.cohort_id)),
            ).due_at
            if due is not None and at < due <= until:
                found.append((schedule, enrollment.student_id, due))
    return found


async def send_due_reminders(session: AsyncSession, *, settings: Settings) -> int:
    """Queue the due-soon emails now due (see the module docstring); returns how many.
    Commits after every batch."""
    at = clock.now()
    candidates = await _candidates(
        session, at=at, until=at + timedelta(hours=settings.due_reminder_hours)
    )
    sent = 0
    size = settings.due_reminder_batch_size
    for offset in range(0, len(candidates), size):
        batch = candidates[offset : offset + size]
        sent += await _send_batch(session, batch=batch, at=at)
        await commit(session)
    return sent


async def _send_batch(
    session: AsyncSession,
    *,
    batch: list[tuple[ItemSchedule, uuid.UUID, datetime]],
    at: datetime,
) -> int:
    """Record the batch's reminders, then email those whose student has not handed the
    item in. A recorded reminder is never looked at again: handed-in work keeps its row
    (so it is not asked about every run) and simply gets no email."""
    schedules = {schedule.id: schedule for schedule, _, _ in batch}
    claimed = await repository.claim_reminders(
        session, [(s.id, student, due) for s, student, due in batch], at=at
    )
    handed_in = await repository.handed_in(session, pairs=claimed, condition=_handed_in)
    to_send = [
        (s, student, due) for s, student, due in batch if (s.id, student) in claimed - handed_in
    ]
    if not to_send:
        return 0
    students = await users.get_user_summaries(session, list({student for _, student, _ in to_send}))
    titles = {
        course.id: course.title
        for course in (
            await courses.get_courses(session, list({s.course_id for s in schedules.values()}))
        ).values()
    }
    lessons = await courses.get_lessons(
        session, [s.item_id for s in schedules.values() if s.item_type == "assignment"]
    )
    sent = 0
    for schedule, student_id, due in to_send:
        student = students.get(student_id)
        if student is None or not student.is_active:
            continue
        lesson = lessons.get(schedule.item_id)
        title = lesson.title if lesson is not None else schedule.title
        await emails.queue_email(
            session,
            to=student.email,
            template="due_soon",
            context={
                "full_name": student.full_name,
                "item_title": title,
                "item_kind": "quiz" if schedule.item_type == "quiz" else "assignment",
                "course_title": titles.get(schedule.course_id, ""),
                "due_utc": due.isoformat(),
            },
            dedupe_key=f"due_soon:{schedule.id}:{student_id}",
        )
        sent += 1
    return sent


@jobs.periodic(DUE_REMINDER_JOB, every_seconds=900)
async def _due_reminders_job(session: AsyncSession) -> None:
    await send_due_reminders(session, settings=get_settings())
