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
