"""What the assignments module tells other modules, published in the transaction of the
change (see ``lms.core.events``; the modules that react are listed in
``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class AssignmentGraded(Event):
    """A submission was graded (again, perhaps): ``passed`` says whether the score
    reaches the lesson's threshold (any score passes a lesson without one). A subscriber
    that raises refuses the grading."""

    name: ClassVar[str] = "assignment.graded.v1"
    submission_id: uuid.UUID
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    score: Decimal
    passed: bool
    graded_by_id: uuid.UUID
    # The score before this grading (None: the work had none), for the gradebook's
    # history of grade changes.
    previous_score: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class AssignmentSubmitted(Event):
    """A student handed in work for an assignment lesson (or replaced it:
    ``submission_count`` says which time)."""

    name: ClassVar[str] = "assignment.submitted.v1"
    submission_id: uuid.UUID
    lesson_id: uuid.UUID
    course_id: uuid.UUID
    enrollment_id: uuid.UUID
    student_id: uuid.UUID
    submission_count: int
    submitted_at: datetime
