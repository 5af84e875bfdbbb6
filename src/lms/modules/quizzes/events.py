"""What the quizzes module tells other modules, published in the transaction of the
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
class QuizAttemptGraded(Event):
    """An attempt at a quiz was graded (on submission, or closed at its deadline).
    ``passed`` says whether its percentage reaches the quiz's passing score;
    ``quiz_type`` whether it counts (``graded``) or is for practice; ``lesson_id`` the
    lesson the quiz assesses, if any. A passed graded quiz of a lesson completes that
    lesson for the student (the enrollments module)."""

    name: ClassVar[str] = "quiz.attempt.graded.v1"
    quiz_id: uuid.UUID
    attempt_id: uuid.UUID
    student_id: uuid.UUID
    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID | None
    quiz_type: str  # "graded" or "practice"
    score: Decimal
    max_score: Decimal
    percentage: Decimal
    passed: bool
    # Who graded it by hand (None: marked automatically on submission), and the
    # attempt's percentage before this grading (None: it had none), for the gradebook's
    # history of grade changes.
    graded_by_id: uuid.UUID | None = None
    previous_percentage: Decimal | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class QuizAttemptSubmitted(Event):
    """A student submitted an attempt at a quiz (graded at once when every answer can be
    marked automatically, then ``quiz.attempt.graded.v1`` follows)."""

    name: ClassVar[str] = "quiz.attempt.submitted.v1"
    quiz_id: uuid.UUID
    attempt_id: uuid.UUID
    student_id: uuid.UUID
    enrollment_id: uuid.UUID
    course_id: uuid.UUID
    lesson_id: uuid.UUID | None
    status: str  # "graded" or "submitted" (waiting for a grader)
    submitted_at: datetime
