"""Progress and completion with exact counters.

Concurrency: counters change only through single SQL statements (``x = x + :delta``,
or a recount after a lesson is deleted), and the switch to ``completed`` is a
conditional UPDATE, so exactly one request completes an enrollment however many arrive
at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Row
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import NotFound
from lms.modules import courses, emails, users
from lms.modules.enrollments import repository
from lms.modules.enrollments.events import EnrollmentCompleted, LessonCompleted
from lms.modules.enrollments.models import Enrollment
from lms.modules.enrollments.schemas import (
    ACCESS_STATUSES,
    EnrollmentRead,
    LessonProgressRead,
    ProgressUpdate,
)
from lms.modules.enrollments.service.lookups import (
    EnrollmentClosed,
    load_enrollment_or_raise,
    own_enrollment,
)
from lms.modules.enrollments.service.reading import enrollment_read


class LessonNotInCourse(NotFound):
    code = "lesson_not_in_course"
    detail = "This lesson is not part of the enrollment's course."


async def update_progress(
    session: AsyncSession,
    *,
    principal: Principal,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    data: ProgressUpdate,
) -> LessonProgressRead:
    """Record watching/reading: time is added, the position replaced, the lesson moves
    from not_started to in_progress, the enrollment's last access is now. The update
    itself checks ownership; only when it changes nothing is the enrollment read, to
    tell the caller why (404, 403, 409 or a lesson of another course)."""
    now = utcnow()
    progress = await repository.record_progress(
        session,
        enrollment_id=enrollment_id,
        lesson_id=lesson_id,
        seconds=data.time_spent_seconds,
        position=data.last_position_seconds,
        percentage=data.completion_percentage,
        metadata=data.progress_metadata,
        now=now,
        student_id=principal.id,
    )
    if progress is None:
        await own_enrollment(session, principal, enrollment_id)
        raise LessonNotInCourse()
    if data.time_spent_seconds > 0:
        await repository.log_learning_time(
            session,
            enrollment_id=enrollment_id,
            lesson_id=lesson_id,
            seconds=data.time_spent_seconds,
            now=now,
        )
    await repository.add_time(
        session, enrollment_id=enrollment_id, seconds=data.time_spent_seconds, now=now
    )
    return LessonProgressRead.model_validate(progress)


async def handle_enrollment_completed(session: AsyncSession, enrollment: Enrollment) -> None:
    """What follows a completion, in its transaction: the course-completed email (once,
    by its dedupe key), then ``EnrollmentCompleted`` for the modules that react (the
    certificate is queued)."""
    course = await courses.get_course_or_raise(session, enrollment.course_id)
    student = await users.get_user_summary_or_raise(session, enrollment.student_id)
    await emails.queue_email(
        session,
        to=student.email,
        template="course_completed",
        context={"full_name": student.full_name, "course_title": course.title},
        dedupe_key=f"course_completed:{enrollment.id}",
    )
    assert enrollment.completed_at is not None  # set by the statement that completed it
    await events.publish(
        session,
        EnrollmentCompleted(
            enrollment_id=enrollment.id,
            student_id=enrollment.student_id,
            course_id=enrollment.course_id,
            completed_at=enrollment.completed_at,
        ),
    )


async def complete_lesson(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> None:
    """Mark a lesson of the enrollment completed (idempotent). Completing the last lesson
    completes the enrollment: status ``completed``, ``completed_at``, the
    course-completed email and ``EnrollmentCompleted``, exactly once. No ownership
    check: the caller (a passed quiz or assignment) has done it. Refused with
    ``EnrollmentClosed`` for a dropped or expired enrollment and ``LessonNotInCourse``
    for a lesson of another course, before anything is written."""
    await _complete_lesson(
        session, enrollment_id=enrollment_id, lesson_id=lesson_id, read=False, student=None
    )


async def _complete_lesson(
    session: AsyncSession,
    *,
    enrollment_id: uuid.UUID,
    lesson_id: uuid.UUID,
    read: bool,
    student: Principal | None,
) -> EnrollmentRead | None:
    """``complete_lesson``, returning the enrollment as read when ``read`` is set (a
    caller that does not need it saves the statements that read it). With ``student``,
    the enrollment must be theirs: the statement that marks the lesson checks that, and
    the enrollment is read only when it marks nothing, to tell why."""
    if student is None:
        enrollment = await load_enrollment_or_raise(session, enrollment_id)
        if enrollment.status not in ACCESS_STATUSES:
            raise EnrollmentClosed()
    now = utcnow()
    counted = None
    student_id = student.id if student is not None else None
    # A student's mark skips a lesson with unlock rules: that one is checked first.
    marked = await repository.mark_lesson_completed(
        session,
        enrollment_id=enrollment_id,
        lesson_id=lesson_id,
        now=now,
        student_id=student_id,
        ungated_only=student is not None,
    )
    if not marked:
        if student is not None:  # 404, 403 or 409 unless it is the student's, and open
            await own_enrollment(session, student, enrollment_id)
        if not await repository.progress_exists(
            session, enrollment_id=enrollment_id, lesson_id=lesson_id
        ):
            raise LessonNotInCourse()
        if student is not None:  # drip release: 403 lesson_locked while it is locked
            await courses.require_lesson_unlocked(
                session, student_id=student.id, lesson_id=lesson_id
            )
            marked = await repository.mark_lesson_completed(
                session,
                enrollment_id=enrollment_id,
                lesson_id=lesson_id,
                now=now,
                student_id=student.id,
            )
    if marked:
        # The usual case is one statement: the count, returning the enrollment.
        counted = await repository.count_lesson_completed(
            session, enrollment_id=enrollment_id, now=now
        )
        if counted is not None:
            await events.publish(
                session,
                LessonCompleted(
                    enrollment_id=enrollment_id,
                    student_id=counted.student_id,
                    course_id=counted.course_id,
                    lesson_id=lesson_id,
                    completed_lessons_count=counted.completed_lessons_count,
                    total_lessons_count=counted.total_lessons_count,
                    completed_at=now,
                ),
            )
    if counted is not None and not _looks_done(counted):
        return EnrollmentRead.model_validate(counted) if read else None
    # Every lesson done (or the lesson was completed before: lessons may have been
    # deleted since): the conditional update completes the enrollment exactly once.
    completed = await repository.complete_if_done(session, enrollment_id=enrollment_id, now=now)
    if completed is not None:
        await handle_enrollment_completed(session, completed)
        return await enrollment_read(session, completed) if read else None
    if not read:
        return None
    if counted is not None:  # another request completed it meanwhile
        return EnrollmentRead.model_validate(counted)
    # Nothing was written to the enrollment: as read above (or now, by its id).
    return await enrollment_read(session, await load_enrollment_or_raise(session, enrollment_id))


def _looks_done(enrollment: Enrollment | Row[*tuple[Any, ...]]) -> bool:
    return (
        enrollment.status == "active"
        and enrollment.total_lessons_count > 0
        and enrollment.completed_lessons_count >= enrollment.total_lessons_count
    )


async def complete_lesson_for(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> EnrollmentRead:
    """The enrolled student marks a lesson completed; 403 ``lesson_locked`` while drip
    release keeps it locked for them."""
    view = await _complete_lesson(
        session, enrollment_id=enrollment_id, lesson_id=lesson_id, read=True, student=principal
    )
    assert view is not None  # read=True always reads
    return view


async def mark_certificate_issued(
    session: AsyncSession, *, enrollment_id: uuid.UUID, issued_at: datetime | None = None
) -> None:
    """Record when the enrollment's certificate was issued (the first time only)."""
    await repository.set_certificate_issued(
        session, enrollment_id=enrollment_id, issued_at=issued_at or utcnow()
    )
