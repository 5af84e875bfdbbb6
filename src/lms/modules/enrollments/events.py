"""What the enrollments module tells other modules (events) and asks them (questions).
Published inside the transaction of the change (see ``lms.core.events``); the modules
that react are listed in ``lms/wiring.py``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

from lms.core.events import Event, Question


@dataclass(frozen=True, kw_only=True, slots=True)
class EnrollmentCompleted(Event):
    """Every lesson of the enrollment is done: it is completed (published exactly once
    per enrollment, after the course-completed email is queued)."""

    name: ClassVar[str] = "enrollment.completed.v1"
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    completed_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class PaidAccessAsked(Question):
    """Has this student paid for this course, which has a price (a payment, or a
    subscription that covers it)? Without a yes, enrolling answers 402."""

    name: ClassVar[str] = "enrollment.paid_access.v1"
    student_id: uuid.UUID
    course_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class EnrollmentCreated(Event):
    """A student was enrolled in a course (by themselves, or by a payment)."""

    name: ClassVar[str] = "enrollment.created.v1"
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    enrolled_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class EnrollmentDropped(Event):
    """An active enrollment lost its access (a refunded purchase, or dropped by the
    course's staff)."""

    name: ClassVar[str] = "enrollment.dropped.v1"
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID


@dataclass(frozen=True, kw_only=True, slots=True)
class LessonCompleted(Event):
    """A lesson of an enrollment was completed for the first time (by the student, or by
    a passed quiz or assignment)."""

    name: ClassVar[str] = "lesson.completed.v1"
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID
    completed_lessons_count: int
    total_lessons_count: int
    completed_at: datetime


@dataclass(frozen=True, kw_only=True, slots=True)
class StaffEnrollmentChanged(Event):
    """A course's staff enrolled, dropped, reactivated or moved a student (``change``:
    ``enrolled``, ``dropped``, ``reactivated``, ``moved``)."""

    name: ClassVar[str] = "enrollment.changed_by_staff.v1"
    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    student_id: uuid.UUID
    change: str
    status_before: str | None
    status_after: str
    cohort_before: uuid.UUID | None
    cohort_after: uuid.UUID | None
