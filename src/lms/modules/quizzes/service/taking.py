"""Taking a quiz: starting (or resuming) an attempt, saving answers, submitting.

Time limits. Starting an attempt fixes its deadline (``started_at + time_limit_minutes``).
A submission is accepted until the deadline plus ``LMS_QUIZ_SUBMIT_GRACE_SECONDS`` (network
latency, a slow click). After that it is refused with 409 ``attempt_expired`` and the
attempt is closed as if submitted at the deadline, with the answers saved so far
(``PUT .../answers``), and graded; the refusal keeps that closure (``keeping_changes``).
Expired attempts are also closed when they are next read, when the student starts again,
and by a periodic sweep (``settling``).
"""

from __future__ import annotations

import functools
import os
import random
import uuid
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, bindparam
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.deps import Principal
from lms.core.errors import AppError, Conflict
from lms.core.session import require_transaction
from lms.modules import courses, enrollments, schedules
from lms.modules.quizzes import grading, repository, service
from lms.modules.quizzes.events import QuizAttemptSubmitted
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.repository import AttemptRecord, QuestionRecord
from lms.modules.quizzes.schemas import AnswerIn
from lms.modules.quizzes.service import access, scheduling
from lms.modules.quizzes.service.errors import (
    AttemptChanged,
    AttemptClosed,
    AttemptExpired,
    AttemptNotFound,
    AttemptsExhausted,
    InvalidAnswer,
)
from lms.modules.quizzes.service.read_models import (
    AttemptView,
    Questions,
    QuizVersion,
    questions_by_id,
)
from lms.modules.quizzes.service.settling import (
    automatic_marks,
    close_if_expired,
    is_expired,
    saved_answers,
    settle,
    stored_answers,
)
from lms.modules.quizzes.service.versions import quiz_version


def _shuffler() -> random.Random:
    """The orders of one attempt: a generator seeded from the system's randomness, one
    read of it per attempt (``SystemRandom`` makes a system call for every number:
    about eighty for twenty questions of four options), so no attempt's order can be
    told from another's."""
    return random.Random(os.urandom(32))


# --- starting ------------------------------------------------------------------------


def _new_attempt(
    *,
    quiz: Quiz,
    questions: list[QuestionRecord],
    enrollment_id: uuid.UUID,
    student_id: uuid.UUID,
    attempt_number: int,
    at: datetime,
    schedule: schedules.EffectiveSchedule | None = None,
) -> AttemptRecord:
    order = list(questions)
    shuffler = _shuffler()
    if quiz.shuffle_questions:
        shuffler.shuffle(order)
    option_order: dict[str, list[str]] = {}
    for question in order:
        if question.question_type == "multiple_choice" and question.options:
            options = list(question.options)
            if quiz.shuffle_options:
                shuffler.shuffle(options)
            option_order[str(question.id)] = options
    return AttemptRecord(
        id=uuid.uuid4(),
        quiz_id=quiz.id,
        enrollment_id=enrollment_id,
        student_id=student_id,
        attempt_number=attempt_number,
        status="in_progress",
        started_at=at,
        deadline_at=schedule.deadline(at, quiz.time_limit_minutes)
        if schedule is not None
        else at + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes
        else None,
        question_order=[str(q.id) for q in order],
        option_order=option_order,
        answers=[],
        updated_at=at,
    )


@functools.cache
def _taking_state() -> Select[Any]:
    return repository.taking_state(
        course_published=courses.course_is_published,
        enrollment_id=functools.partial(enrollments.accessible_enrollment_id, bindparam("student")),
        lesson_gated=courses.lesson_is_gated,
    )


async def _start_fresh_attempt(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> AttemptView | None:
    """The usual start, in two statements (the quiz's content comes from its cached
    version): a published quiz of a published course, an enrolled student with no open
    attempt and attempts left. The new attempt is inserted
    unless a concurrent start took its number. None for anything else (and for a lost
    race); ``start_attempt``'s general path then resumes, refuses or explains."""
    state = await repository.read_taking_state(
        session, _taking_state(), quiz_id=quiz_id, student_id=principal.id
    )
    if state is None:
        return None
    number, enrollment_id = state.last_number, state.enrollment_id
    if not (state.course_published and enrollment_id is not None and not state.has_open):
        return None  # an enrollment that gives access, in a published course, no open attempt
    if state.lesson_gated and state.quiz.lesson_id is not None:
        # Drip release: only a quiz whose lesson has unlock rules pays this statement.
        await courses.require_lesson_unlocked(
            session, student_id=principal.id, lesson_id=state.quiz.lesson_id
        )
    version = await quiz_version(session, state.quiz)
    quiz, questions = version.quiz, version.questions
    if not (quiz.is_published and questions):
        return None
    at = service.now()
    schedule = await scheduling.schedule_for(session, quiz=quiz, student_id=principal.id)
    max_attempts = quiz.max_attempts
    if schedule is not None:
        schedule.check_start(at)
        max_attempts = schedule.max_attempts or max_attempts
    if max_attempts is not None and number >= max_attempts:
        return None
    attempt = _new_attempt(
        quiz=quiz,
        questions=list(questions.values()),
        enrollment_id=enrollment_id,
        student_id=principal.id,
        attempt_number=number + 1,
        at=at,
        schedule=schedule,
    )
    if not await repository.insert_attempt(session, attempt):
        return None
    return AttemptView.of_version(attempt, version, at)


def _refusal(error: AppError, *, closed_one: bool) -> AppError:
    """A start's refusal; after closing the student's expired attempt it keeps that
    closure (the attempt stays graded)."""
    return error.keeping_changes() if closed_one else error


async def start_attempt(
    session: AsyncSession, *, settings: Settings, principal: Principal, quiz_id: uuid.UUID
) -> tuple[AttemptView, bool]:
    """Open an attempt for an enrolled student, or resume the open one. Returns the
    attempt and whether it was created now. A new attempt at the quiz of a lesson
    locked for the student (drip release) is 403 ``lesson_locked``; an open attempt
    resumes.

    The question order, option order and deadline are fixed here. ``max_attempts`` holds
    under concurrent starts: attempt numbers are unique per student and quiz and at most
    one attempt is open, so of two racing starts one creates the attempt and the other
    resumes it."""
    started = await _start_fresh_attempt(session, principal=principal, quiz_id=quiz_id)
    if started is not None:
        return started, True
    # Resuming, refusing or closing an expired attempt first: several statements that
    # must agree, so in a transaction (the route runs this again in one if need be).
    require_transaction(session)
    context = await access.visible_quiz(session, principal=principal, quiz_id=quiz_id)
    quiz = context.quiz
    enrollment = await access.enrollment_for_taking(
        session, principal=principal, course=context.course
    )
    questions = await questions_by_id(session, quiz_id)
    at = service.now()

    # The number and the open attempt in one read: an attempt a concurrent start opens
    # after it takes this number + 1 first, so the insert below loses and resumes that
    # attempt instead of counting against max_attempts.
    latest = await repository.latest_attempt(session, enrollment_id=enrollment.id, quiz_id=quiz_id)
    number = latest.attempt_number if latest is not None else 0
    closed_one = False
    if latest is not None and latest.status == "in_progress":
        closed = await close_if_expired(
            session, settings=settings, attempt=latest, quiz=quiz, questions=questions, at=at
        )
        if closed is None:
            return AttemptView(latest, quiz, questions, False, at), False
        closed_one = True
    schedule = await scheduling.schedule_for(session, quiz=quiz, student_id=principal.id)
    max_attempts = quiz.max_attempts
    if schedule is not None:
        try:
            schedule.check_start(at)
        except AppError as refusal:
            raise _refusal(refusal, closed_one=closed_one) from None
        max_attempts = schedule.max_attempts or max_attempts
    if max_attempts is not None and number >= max_attempts:
        raise _refusal(AttemptsExhausted(), closed_one=closed_one)
    if quiz.lesson_id is not None:
        try:
            await courses.require_lesson_unlocked(
                session, student_id=principal.id, lesson_id=quiz.lesson_id
            )
        except courses.LessonLocked as locked:
            raise _refusal(locked, closed_one=closed_one) from None
    if not questions:
        raise _refusal(
            Conflict("This quiz has no questions yet.", code="quiz_empty"), closed_one=closed_one
        )
    attempt = _new_attempt(
        quiz=quiz,
        questions=list(questions.values()),
        enrollment_id=enrollment.id,
        student_id=principal.id,
        attempt_number=number + 1,
        at=at,
        schedule=schedule,
    )
    if not await repository.insert_attempt(session, attempt):
        # A concurrent start took this attempt number: resume the attempt it opened.
        current = await repository.open_attempt(
            session, enrollment_id=enrollment.id, quiz_id=quiz_id
        )
        if current is None:
            conflict = Conflict(
                "Another attempt was started at the same moment; retry.", code="attempt_conflict"
            )
            raise _refusal(conflict, closed_one=closed_one)
        return AttemptView(current, quiz, questions, False, at), False
    return AttemptView(attempt, quiz, questions, False, at), True


# --- answering -------------------------------------------------------------------------


async def _own_open_attempt(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    attempt_id: uuid.UUID,
    quiz_id: uuid.UUID | None,
) -> tuple[AttemptRecord, QuizVersion, datetime]:
    """The caller's attempt, locked, if it is still open, with its quiz's content and
    the time of this request: 409 if it was submitted, 409 ``attempt_expired`` if
    its time ran out (closing it, and keeping the closure)."""
    found = await repository.get_attempt_and_quiz_for_update(session, attempt_id)
    if found is None or found[0].student_id != principal.id:
        raise AttemptNotFound()
    attempt, key = found
    if quiz_id is not None and attempt.quiz_id != quiz_id:
        raise AttemptNotFound()
    version = await quiz_version(session, key)
    at = service.now()
    if attempt.status != "in_progress":
        raise AttemptClosed()
    if is_expired(attempt, at, settings):
        require_transaction(session)  # closing it writes the attempt and what follows
    closed = await close_if_expired(
        session,
        settings=settings,
        attempt=attempt,
        quiz=version.quiz,
        questions=version.questions,
        at=at,
    )
    if closed is not None:
        raise AttemptExpired().keeping_changes()
    return attempt, version, at


async def _checked_answers(
    session: AsyncSession,
    *,
    attempt: AttemptRecord,
    questions: Questions,
    answers: Sequence[AnswerIn],
) -> dict[str, str | None]:
    """The answers in stored form; 422 for a question outside this attempt, a duplicate,
    or an answer of the wrong kind."""
    in_attempt = set(attempt.question_order)
    foreign = [a.question_id for a in answers if str(a.question_id) not in in_attempt]
    if foreign:
        owners = await repository.question_quiz_ids(session, foreign)
        stray = foreign[0]
        if stray not in owners:
            detail = f"Question {stray} does not exist."
        elif owners[stray] != attempt.quiz_id:
            detail = f"Question {stray} belongs to another quiz."
        else:
            detail = f"Question {stray} was added after this attempt started."
        raise InvalidAnswer(detail, code="unknown_question")
    checked: dict[str, str | None] = {}
    for item in answers:
        qid = str(item.question_id)
        if qid in checked:
            raise InvalidAnswer(f"Question {qid} is answered twice.", code="duplicate_answer")
        question = questions[item.question_id]
        try:
            checked[qid] = grading.coerce_answer(
                question.question_type, question.options, item.answer
            )
        except grading.AnswerError as exc:
            raise InvalidAnswer(f"Question {qid}: {exc}.") from exc
    return checked


async def save_answers(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    attempt_id: uuid.UUID,
    answers: Sequence[AnswerIn],
    quiz_id: uuid.UUID | None = None,
) -> AttemptView:
    """Save answers of an open attempt without submitting it (they are merged with the
    ones saved before). Saved answers count if the time runs out."""
    attempt, version, at = await _own_open_attempt(
        session, settings=settings, principal=principal, attempt_id=attempt_id, quiz_id=quiz_id
    )
    checked = await _checked_answers(
        session, attempt=attempt, questions=version.questions, answers=answers
    )
    merged = stored_answers(attempt, {**saved_answers(attempt), **checked})
    saved = await repository.save_answers(session, replace(attempt, answers=merged), at=at)
    if saved is None:
        # Another request wrote the attempt since it was read. Without a row lock (a
        # single_statements session) this save runs again holding the lock, after it.
        require_transaction(session)
        raise AttemptChanged()
    return AttemptView.of_version(saved, version, at)


async def submit_attempt(
    session: AsyncSession,
    *,
    settings: Settings,
    principal: Principal,
    attempt_id: uuid.UUID,
    answers: Sequence[AnswerIn],
    quiz_id: uuid.UUID | None = None,
) -> AttemptView:
    """Submit an attempt and grade what can be graded automatically. The given answers
    are merged over the saved ones. A second submission is 409 and changes nothing; a
    submission after the deadline and grace is 409 ``attempt_expired`` (see the module
    docstring)."""
    attempt, version, at = await _own_open_attempt(
        session, settings=settings, principal=principal, attempt_id=attempt_id, quiz_id=quiz_id
    )
    quiz, questions = version.quiz, version.questions
    checked = await _checked_answers(session, attempt=attempt, questions=questions, answers=answers)
    merged = {**saved_answers(attempt), **checked}
    lateness = schedules.Lateness(is_late=False, penalty_percent=None)
    schedule = await scheduling.schedule_for(session, quiz=quiz, student_id=principal.id)
    if schedule is not None:
        schedule.check_hand_in(at)
        lateness = schedule.lateness(at)
    submitted = replace(
        attempt,
        is_late=lateness.is_late,
        late_penalty_percent=lateness.penalty_percent,
        answers=stored_answers(attempt, merged),
        submitted_at=at,
        time_taken_seconds=int((at - attempt.started_at).total_seconds()),
        marks=automatic_marks(attempt.question_order, merged, questions),
    )
    try:
        settled = await settle(session, attempt=submitted, quiz=quiz, questions=questions, at=at)
    except AttemptChanged as exc:  # a concurrent submission won
        raise AttemptClosed() from exc
    await events.publish(
        session,
        QuizAttemptSubmitted(
            quiz_id=quiz.id,
            attempt_id=settled.id,
            student_id=settled.student_id,
            enrollment_id=settled.enrollment_id,
            course_id=quiz.course_id,
            lesson_id=quiz.lesson_id,
            status=settled.status,
            submitted_at=at,
        ),
    )
    return AttemptView.of_version(settled, version, at)
