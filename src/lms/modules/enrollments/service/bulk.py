"""A bulk roster import's enrollments: a chunk of new students enrolled in a few
statements (seats per cohort, one insert of enrollments, one of progress rows, one of
emails), with the same rows, events and emails as ``enroll_from_roster`` one by one.

No authorization: the import checks its caller. The caller has read the students'
places and the course's team in its transaction and decided who is new; what another
transaction changed meanwhile (a student enrolled, a cohort filled) makes
``enroll_many_from_roster`` answer False, and the caller rolls its savepoint back and
goes row by row, where each such case has its own answer."""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.modules import courses, emails
from lms.modules.enrollments import repository
from lms.modules.enrollments.events import EnrollmentCreated
from lms.modules.enrollments.schemas import RosterPlace, RosterStudent
from lms.modules.enrollments.service.enrolling import course_url


async def roster_places(
    session: AsyncSession, *, course_id: uuid.UUID, student_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, RosterPlace]:
    """Those students' enrollments in the course (cohort, status), in one query."""
    rows = await repository.places_in_course(session, course_id, student_ids)
    return {student: RosterPlace(cohort_id, status) for student, cohort_id, status in rows}


async def enroll_many_from_roster(
    session: AsyncSession,
    *,
    settings: Settings,
    course: courses.CourseSummary,
    students: Sequence[RosterStudent],
    enrolled_by: uuid.UUID | None,
) -> bool:
    """Enroll students who have no enrollment in the course (no payment, published or
    not), each into its cohort: the seats, the enrollments, their progress rows, an
    ``EnrollmentCreated`` each and the enrolled emails. False when a cohort lacks the
    seats or a student was enrolled meanwhile (the caller rolls back)."""
    if not students:
        return True
    # Shared, as one enrollment takes it: a lesson being added waits for the chunk.
    if not await courses.lock_course(session, course.id, shared=True):
        raise courses.CourseNotFound()
    seats = Counter(student.cohort_id for student in students if student.cohort_id)
    for cohort_id, count in seats.items():
        if not await courses.take_cohort_seats(session, cohort_id, count):
            return False
    lesson_ids = await courses.list_lesson_ids(session, course.id)
    now = utcnow()
    enrolled = [(uuid.uuid4(), student) for student in students]
    rows: list[dict[str, Any]] = [
        {
            "id": enrollment_id,
            "student_id": student.id,
            "course_id": course.id,
            "cohort_id": student.cohort_id,
            "enrolled_by_id": enrolled_by if enrolled_by != student.id else None,
            "enrolled_at": now,
            "status": "active",
            "progress_percentage": Decimal("0"),
            "completed_lessons_count": 0,
            "total_lessons_count": len(lesson_ids),
            "total_time_spent_seconds": 0,
        }
        for enrollment_id, student in enrolled
    ]
    if len(await repository.insert_enrollments(session, rows)) != len(rows):
        return False
    await repository.add_progress_rows_for(session, [e for e, _ in enrolled], lesson_ids)
    for enrollment_id, student in enrolled:
        await events.publish(
            session,
            EnrollmentCreated(
                enrollment_id=enrollment_id,
                student_id=student.id,
                course_id=course.id,
                enrolled_at=now,
            ),
        )
    link = course_url(settings, course)
    await emails.queue_emails(
        session,
        template="course_enrolled",
        messages=[
            (
                student.email,
                {"full_name": student.full_name, "course_title": course.title, "course_url": link},
            )
            for student in students
        ],
    )
    return True
