"""Results: attempts read by their students and the course's managers, and grading by
hand. Reading an attempt whose time ran out closes it first, so no one sees an attempt
still open past its deadline."""

from __future__ import annotations

import functools
import uuid
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.errors import RuleViolation
from lms.modules import courses, enrollments
from lms.modules.quizzes import grading, repository, service
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.repository import AttemptRecord
from lms.modules.quizzes.schemas import AttemptGrade
from lms.modules.quizzes.service import access
from lms.modules.quizzes.service.errors import AttemptInProgress, AttemptNotFound
from lms.modules.quizzes.service.read_models import AttemptView, questions_by_id
from lms.modules.quizzes.service.settling import close_if_expired, settle


async def get_attempt(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    attempt_id: uuid.UUID,
    quiz_id: uuid.UUID | None = None,
) -> AttemptView:
    """An attempt for its student, or for the course's managers; 404 for anyone else."""
    attempt = await repository.get_attempt(session, attempt_id)
    if attempt is None or (quiz_id is not None and attempt.quiz_id != quiz_id):
        raise AttemptNotFound()
    quiz = await access.get_quiz_or_raise(session, attempt.quiz_id)
    manager = False
    if attempt.student_id != principal.id:
        course = await courses.get_course_or_raise(session, quiz.course_id)
        if not await enrollments.teaches_student(
            session, principal=principal, course=course, student_id=attempt.student_id
        ):
            raise AttemptNotFound()
        manager = True
    questions = await questions_by_id(session, quiz.id)
    at = service.now()
    closed = await close_if_expired(
        session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
    )
    return AttemptView(closed or attempt, quiz, questions, manager, at)


async def _views(
    session: AsyncSession,
    *,
    settings: Settings,
    quiz: Quiz,
    attempts: list[AttemptRecord],
    manager: bool,
) -> list[AttemptView]:
    questions = await questions_by_id(session, quiz.id)
    at = service.now()
    current = []
    for attempt in attempts:
        closed = await close_if_expired(
            session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
        )
        current.append(closed or attempt)
    return [AttemptView(a, quiz, questions, manager, at) for a in current]


async def list_my_attempts(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    quiz_id: uuid.UUID,
    offset: int,
    limit: int,
) -> tuple[list[AttemptView], int]:
    """The caller's own attempts at a quiz, newest first."""
    context = await access.visible_quiz(session, principal=principal, quiz_id=quiz_id)
    attempts, total = await repository.page_attempts(
        session, quiz_id=quiz_id, student_id=principal.id, offset=offset, limit=limit
    )
    views = await _views(
        session, settings=settings, quiz=context.quiz, attempts=attempts, manager=False
    )
    return views, total


async def list_quiz_attempts(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    quiz_id: uuid.UUID,
    status: str | None,
    student_id: uuid.UUID | None,
    offset: int,
    limit: int,
) -> tuple[list[AttemptView], int]:
    """Every attempt at a quiz (the course's team; an assistant of some cohorts sees
    their students' only), filtered by status or student."""
    context = await access.managed_quiz(
        session, principal=principal, quiz_id=quiz_id, rule=courses.CoursePolicy.read_roster
    )
    cohorts = context.access.cohort_ids if context.access.role == "assistant" else None
    attempts, total = await repository.page_attempts(
        session,
        quiz_id=quiz_id,
        student_id=student_id,
        status=status,
        offset=offset,
        limit=limit,
        among=functools.partial(
            enrollments.student_in_cohorts, course_id=context.course.id, cohort_ids=cohorts
        )
        if cohorts
        else None,
    )
    views = await _views(
        session, settings=settings, quiz=context.quiz, attempts=attempts, manager=True
    )
    return views, total


async def grade_attempt(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    quiz_id: uuid.UUID,
    attempt_id: uuid.UUID,
    data: AttemptGrade,
) -> AttemptView:
    """Give points and feedback by hand (essays, short answers without accepted answers,
    or to override an automatic mark). When every question has points the attempt is
    ``graded``; a passed graded quiz then completes its lesson."""
    context = await access.managed_quiz(
        session, principal=principal, quiz_id=quiz_id, rule=courses.CoursePolicy.read_roster
    )
    quiz = context.quiz
    attempt = await repository.get_attempt_for_update(session, attempt_id)
    if attempt is None or attempt.quiz_id != quiz_id:
        raise AttemptNotFound()
    if not await enrollments.teaches_student(
        session, principal=principal, course=context.course, student_id=attempt.student_id
    ):
        raise AttemptNotFound()
    questions = await questions_by_id(session, quiz_id)
    at = service.now()
    attempt = (
        await close_if_expired(
            session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
        )
        or attempt
    )
    if attempt.status == "in_progress":
        raise AttemptInProgress()
    marks = {qid: dict(mark) for qid, mark in (attempt.marks or {}).items()}
    seen: set[str] = set()
    for grade in data.grades:
        qid = str(grade.question_id)
        if qid not in marks or qid in seen:
            raise RuleViolation(
                f"Question {qid} is not part of this attempt or is graded twice.",
                code="unknown_question",
            )
        seen.add(qid)
        possible = questions[grade.question_id].points
        if grade.points > possible:
            raise RuleViolation(
                f"Question {qid} is worth at most {possible} points.", code="too_many_points"
            )
        marks[qid]["points"] = str(grade.points.quantize(grading.CENT))
        marks[qid]["feedback"] = grade.feedback
        if questions[grade.question_id].question_type in ("essay", "short_answer"):
            marks[qid]["is_correct"] = grade.points == possible
    graded = replace(
        attempt,
        marks=marks,
        feedback=attempt.feedback if data.feedback is None else data.feedback,
        graded_by_id=principal.id,
    )
    settled = await settle(session, attempt=graded, quiz=quiz, questions=questions, at=at)
    return AttemptView(settled, quiz, questions, True, at)
