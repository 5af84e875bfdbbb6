"""Closing an attempt: its answers marked, its totals written and, once every answer has
points, a passed graded quiz counted toward its lesson. Submitting, grading by hand and
the time limit all end here.

The time limit: an attempt past its deadline and the grace is closed as if submitted at
its deadline, with the answers saved until then — when it is next read or written, when
its student starts again, or by the periodic sweep."""

from __future__ import annotations

import logging
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, jobs
from lms.core.config import Settings, get_settings
from lms.modules.quizzes import grading, repository, service
from lms.modules.quizzes.events import QuizAttemptGraded
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.repository import AttemptRecord
from lms.modules.quizzes.service import scheduling
from lms.modules.quizzes.service.errors import AttemptChanged, AttemptClosed
from lms.modules.quizzes.service.read_models import Questions, question_uuid

log = logging.getLogger("lms.quizzes")


# --- answers and marks -----------------------------------------------------------------


def saved_answers(attempt: AttemptRecord) -> dict[str, str | None]:
    """The attempt's answers by question id."""
    return {item["question_id"]: item.get("answer") for item in attempt.answers or []}


def stored_answers(attempt: AttemptRecord, answers: dict[str, str | None]) -> list[dict[str, Any]]:
    """``answers`` in the attempt's stored form: a list in the attempt's question order."""
    return [
        {"question_id": qid, "answer": answers[qid]}
        for qid in attempt.question_order
        if qid in answers
    ]


def automatic_marks(
    question_order: list[str], answers: dict[str, str | None], questions: Questions
) -> dict[str, dict[str, Any]]:
    """Every question of an attempt marked as the machine can: points for objective
    questions and short answers with accepted answers, none for what a person grades."""
    marks: dict[str, dict[str, Any]] = {}
    for qid in question_order:
        question = questions[question_uuid(qid)]
        mark = grading.mark_answer(
            question.question_type, question.correct_answer, question.points, answers.get(qid)
        )
        marks[qid] = {
            "points": None if mark.points is None else str(mark.points.quantize(grading.CENT)),
            "is_correct": mark.is_correct,
            "feedback": None,
        }
    return marks


async def settle(
    session: AsyncSession,
    *,
    attempt: AttemptRecord,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> AttemptRecord:
    """Total the marks of ``attempt`` and write it with what the caller changed (answers,
    marks, feedback…). With every answer marked the attempt is ``graded`` (and a passed
    graded quiz completes its lesson); otherwise it waits, ``submitted``, for a grader.
    ``AttemptChanged`` if another request wrote the attempt first."""
    marks = attempt.marks or {}
    if any(marks[qid]["points"] is None for qid in attempt.question_order):
        waiting = replace(
            attempt,
            status="submitted",
            score=None,
            percentage=None,
            is_passed=None,
            max_score=sum(
                (questions[question_uuid(qid)].points for qid in attempt.question_order),
                Decimal("0"),
            ),
        )
        return await _write(session, waiting, at=at)
    total = grading.total_score(
        (Decimal(marks[qid]["points"]) for qid in attempt.question_order),
        (questions[question_uuid(qid)].points for qid in attempt.question_order),
        Decimal(quiz.passing_score),
    )
    if attempt.late_penalty_percent:
        # Handed in late under a penalty policy (``schedules``): the score loses that
        # percent of itself, and the percentage and the pass follow the lower score.
        total = grading.penalised(total, attempt.late_penalty_percent, Decimal(quiz.passing_score))
    graded = replace(
        attempt,
        status="graded",
        graded_at=at,
        score=total.score,
        max_score=total.max_score,
        percentage=total.percentage,
        is_passed=total.is_passed,
    )
    saved = await _write(session, graded, at=at)
    await events.publish(
        session,
        QuizAttemptGraded(
            quiz_id=quiz.id,
            attempt_id=saved.id,
            student_id=saved.student_id,
            enrollment_id=saved.enrollment_id,
            course_id=quiz.course_id,
            lesson_id=quiz.lesson_id,
            quiz_type=quiz.quiz_type,
            score=total.score,
            max_score=total.max_score,
            percentage=total.percentage,
            passed=total.is_passed,
            graded_by_id=saved.graded_by_id,
            previous_percentage=attempt.percentage,
        ),
    )
    return saved


async def _write(session: AsyncSession, attempt: AttemptRecord, *, at: datetime) -> AttemptRecord:
    saved = await repository.settle_attempt(session, attempt, at=at)
    if saved is None:
        raise AttemptChanged()  # another request wrote this attempt first
    return saved


# --- the time limit --------------------------------------------------------------------


def _grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.quiz_submit_grace_seconds)


def is_expired(attempt: AttemptRecord, at: datetime, settings: Settings) -> bool:
    """Whether the attempt is open past its deadline and the grace."""
    return (
        attempt.status == "in_progress"
        and attempt.deadline_at is not None
        and at > attempt.deadline_at + _grace(settings)
    )


async def _close_at_deadline(
    session: AsyncSession,
    *,
    attempt: AttemptRecord,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> AttemptRecord:
    assert attempt.deadline_at is not None
    # Closed as if handed in at its deadline: late if that is past the due date.
    lateness = await scheduling.lateness_at(
        session, quiz=quiz, student_id=attempt.student_id, at=attempt.deadline_at
    )
    closing = replace(
        attempt,
        is_late=lateness.is_late,
        late_penalty_percent=lateness.penalty_percent,
        submitted_at=attempt.deadline_at,
        closed_at_deadline=True,
        time_taken_seconds=int((attempt.deadline_at - attempt.started_at).total_seconds()),
        marks=automatic_marks(attempt.question_order, saved_answers(attempt), questions),
    )
    try:
        return await settle(session, attempt=closing, quiz=quiz, questions=questions, at=at)
    except AttemptChanged as exc:  # a concurrent request closed it first
        raise AttemptClosed() from exc


async def close_if_expired(
    session: AsyncSession,
    *,
    settings: Settings,
    attempt: AttemptRecord,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> AttemptRecord | None:
    """The attempt closed at its deadline and graded, if it has expired; None if it has
    not (and nothing is written). A request that then refuses its caller keeps the
    closure: it raises its refusal with ``keeping_changes()``."""
    if not is_expired(attempt, at, settings):
        return None
    return await _close_at_deadline(session, attempt=attempt, quiz=quiz, questions=questions, at=at)


async def close_expired_attempts(
    session: AsyncSession, *, settings: Settings, limit: int = 500
) -> int:
    """Close and grade every open attempt whose deadline and grace have passed, as if
    submitted at its deadline. Returns how many were closed."""
    at = service.now()
    attempts = await repository.expired_open_attempts(
        session, before=at - _grace(settings), limit=limit
    )
    quiz_ids = list({a.quiz_id for a in attempts})
    quizzes = {quiz.id: quiz for quiz in await repository.get_quizzes(session, quiz_ids)}
    questions: dict[uuid.UUID, Questions] = {qid: {} for qid in quiz_ids}
    for question in await repository.question_records_of_quizzes(session, quiz_ids):
        questions[question.quiz_id][question.id] = question
    for attempt in attempts:
        await _close_at_deadline(
            session,
            attempt=attempt,
            quiz=quizzes[attempt.quiz_id],
            questions=questions[attempt.quiz_id],
            at=at,
        )
    return len(attempts)


@jobs.periodic("quizzes.close_expired_attempts", every_seconds=60)
async def _close_expired_attempts_job(session: AsyncSession) -> None:
    # The job runner commits the session (lms.core.jobs.run_periodic).
    await close_expired_attempts(session, settings=get_settings())
