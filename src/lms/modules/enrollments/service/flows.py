"""How enrollments take part in the workflows other modules start (subscribers, wired
in ``lms/wiring.py``): a succeeded payment enrolls its payer, a full refund can take the
seat back, and passed work (an assignment, a graded quiz) completes its lesson.

Those modules sit above this one (they read enrollments), so their event classes are
not imported here: each subscriber states, as a protocol, what it reads of the event.
"""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.session import session_settings
from lms.modules.enrollments.service.enrolling import (
    drop_enrollment,
    enroll_student,
    reactivate_enrollment,
)
from lms.modules.enrollments.service.lookups import EnrollmentClosed
from lms.modules.enrollments.service.progress import LessonNotInCourse, complete_lesson

log = logging.getLogger("lms.enrollments")


class PaidSeat(Protocol):
    """What a succeeded payment for a course says (``payment.succeeded.v1``)."""

    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def course_id(self) -> uuid.UUID: ...


class RefundedSeat(Protocol):
    """What a full refund says (``payment.refunded.v1``)."""

    @property
    def user_id(self) -> uuid.UUID: ...
    @property
    def course_id(self) -> uuid.UUID | None: ...
    @property
    def revokes_enrollment(self) -> bool: ...


class GradedAssignment(Protocol):
    """What a graded assignment says (``assignment.graded.v1``)."""

    @property
    def enrollment_id(self) -> uuid.UUID: ...
    @property
    def lesson_id(self) -> uuid.UUID: ...
    @property
    def passed(self) -> bool: ...


class GradedQuizAttempt(Protocol):
    """What a graded quiz attempt says (``quiz.attempt.graded.v1``)."""

    @property
    def enrollment_id(self) -> uuid.UUID: ...
    @property
    def lesson_id(self) -> uuid.UUID | None: ...
    @property
    def quiz_type(self) -> str: ...
    @property
    def passed(self) -> bool: ...


async def enroll_after_payment(session: AsyncSession, event: PaidSeat) -> None:
    """Enroll the payer (idempotent), without the price and published checks: a paid
    seat is honoured even if the course was unpublished meanwhile. An enrollment
    dropped by an earlier refund gets its access back. A refusal (the course is gone,
    a concurrent enrollment) raises, for the payments module to record."""
    enrollment = await enroll_student(
        session,
        settings=session_settings(session),
        student_id=event.user_id,
        course_id=event.course_id,
        skip_payment_check=True,
    )
    if enrollment.status == "dropped":  # dropped by an earlier refund, paid for again
        await reactivate_enrollment(session, student_id=event.user_id, course_id=event.course_id)


async def drop_after_refund(session: AsyncSession, event: RefundedSeat) -> None:
    """A refund that takes the course back drops the active enrollment it bought (a
    completed one stays completed: its certificate was earned)."""
    if event.revokes_enrollment and event.course_id is not None:
        await drop_enrollment(session, student_id=event.user_id, course_id=event.course_id)


async def complete_lesson_after_assignment(session: AsyncSession, event: GradedAssignment) -> None:
    """A passed assignment completes its lesson; a dropped enrollment or a lesson of
    another course refuses the grading (``EnrollmentClosed``, ``LessonNotInCourse``)."""
    if event.passed:
        await complete_lesson(session, enrollment_id=event.enrollment_id, lesson_id=event.lesson_id)


async def complete_lesson_after_quiz(session: AsyncSession, event: GradedQuizAttempt) -> None:
    """A passed graded quiz (not a practice one) of a lesson completes the lesson. An
    enrollment dropped since the attempt started no longer progresses; the attempt keeps
    its grade all the same."""
    if not (event.passed and event.quiz_type == "graded" and event.lesson_id is not None):
        return
    try:
        # Both refusals come before complete_lesson writes anything.
        await complete_lesson(session, enrollment_id=event.enrollment_id, lesson_id=event.lesson_id)
    except (EnrollmentClosed, LessonNotInCourse):
        log.info(
            "passed quiz not counted toward its lesson",
            extra={"enrollment_id": str(event.enrollment_id), "lesson_id": str(event.lesson_id)},
        )
