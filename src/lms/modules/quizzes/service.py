"""Quizzes: authoring, taking, grading. Other modules call these functions, never the tables.

Time limits. Starting an attempt fixes its deadline (``started_at + time_limit_minutes``).
A submission is accepted until the deadline plus ``LMS_QUIZ_SUBMIT_GRACE_SECONDS`` (network
latency, a slow click). After that it is refused with 409 ``attempt_expired`` and the
attempt is closed as if submitted at the deadline, with the answers saved so far
(``PUT .../answers``), and graded. Expired attempts are also closed when they are next
read, when the student starts again, and by a periodic sweep.
"""

from __future__ import annotations

import functools
import logging
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from sqlalchemy import Select, bindparam
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, Forbidden, NotFound, RuleViolation
from lms.modules.courses import service as courses
from lms.modules.enrollments import service as enrollments
from lms.modules.quizzes import grading, repository
from lms.modules.quizzes.models import Quiz, QuizAttempt, QuizQuestion
from lms.modules.quizzes.schemas import (
    AnswerIn,
    AttemptGrade,
    QuestionCreate,
    QuestionUpdate,
    QuizCreate,
    QuizUpdate,
)

log = logging.getLogger("lms.quizzes")

# Set on the session when an expired attempt was closed during a request that then
# refuses the caller: the router commits the closure before sending the refusal.
CLOSED_ATTEMPTS_KEY = "quizzes.closed_attempts"
TAKING_STATUSES = ("active", "completed")
_shuffler = random.SystemRandom()


def now() -> datetime:
    """The clock quizzes run on (tests replace it to move time)."""
    return utcnow()


# --- errors ----------------------------------------------------------------------


class QuizNotFound(NotFound):
    code = "quiz_not_found"
    detail = "No quiz with this id."


class QuestionNotFound(NotFound):
    code = "question_not_found"
    detail = "No question with this id in this quiz."


class AttemptNotFound(NotFound):
    code = "attempt_not_found"
    detail = "No attempt with this id."


class NotEnrolled(Forbidden):
    code = "not_enrolled"
    detail = "Only students enrolled in this course can take its quizzes."


class QuestionLocked(Conflict):
    code = "question_locked"
    detail = (
        "Students have attempted this quiz: its questions can no longer be removed and "
        "their type, options, correct answer and points can no longer change."
    )


class QuizHasAttempts(Conflict):
    code = "quiz_has_attempts"
    detail = "Students have attempted this quiz; it cannot be deleted."


class LessonHasQuiz(Conflict):
    code = "lesson_has_quiz"
    detail = "This lesson already has a quiz."


class AttemptsExhausted(Conflict):
    code = "max_attempts_reached"
    detail = "You have used every attempt this quiz allows."


class AttemptClosed(Conflict):
    code = "attempt_already_submitted"
    detail = "This attempt has already been submitted."


class AttemptExpired(Conflict):
    code = "attempt_expired"
    detail = (
        "The time limit of this attempt has passed. It was closed at its deadline and "
        "graded with the answers saved until then."
    )


class AttemptChanged(Conflict):
    code = "attempt_changed"
    detail = "The attempt changed while this request ran; retry."


class AttemptInProgress(Conflict):
    code = "attempt_in_progress"
    detail = "This attempt has not been submitted yet."


class InvalidAnswer(RuleViolation):
    code = "invalid_answer"


class InvalidQuestion(RuleViolation):
    code = "invalid_question"


# --- access ----------------------------------------------------------------------


@dataclass(frozen=True)
class QuizContext:
    quiz: Quiz
    course: Any
    is_manager: bool


def _can_manage(principal: Principal | None, course: Any) -> bool:
    return principal is not None and courses.is_course_owner_or_admin(principal, course)


async def get_quiz_or_raise(session: AsyncSession, quiz_id: uuid.UUID) -> Quiz:
    quiz = await repository.get_quiz(session, quiz_id)
    if quiz is None:
        raise QuizNotFound()
    return quiz


async def _visible_quiz(
    session: AsyncSession,
    *,
    principal: Principal | None,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> QuizContext:
    """The quiz if the caller may see it: the course's managers always, everyone who may
    see the course only a published quiz. Anything else is 404, so drafts stay hidden."""
    quiz = await get_quiz_or_raise(session, quiz_id)
    if course_id is not None and quiz.course_id != course_id:
        raise QuizNotFound()
    try:
        course = await courses.get_visible_course_or_raise(
            session, principal=principal, course_id=quiz.course_id
        )
    except NotFound as exc:
        raise QuizNotFound() from exc
    manager = _can_manage(principal, course)
    if not manager and not quiz.is_published:
        raise QuizNotFound()
    return QuizContext(quiz=quiz, course=course, is_manager=manager)


async def _managed_quiz(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> QuizContext:
    context = await _visible_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    courses.require_course_manager(principal, context.course)
    return context


async def _managed_course(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID
) -> Any:
    course = await courses.get_visible_course_or_raise(
        session, principal=principal, course_id=course_id
    )
    courses.require_course_manager(principal, course)
    return course


async def _enrollment_for_taking(
    session: AsyncSession, *, principal: Principal, course: Any
) -> Any:
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=principal.id, course_id=course.id
    )
    if enrollment is None or enrollment.status not in TAKING_STATUSES:
        raise NotEnrolled()
    return enrollment


# --- quizzes ---------------------------------------------------------------------


@dataclass(frozen=True)
class QuizTotals:
    question_count: int
    total_points: Decimal


async def quiz_totals(
    session: AsyncSession, quizzes: Sequence[Quiz]
) -> dict[uuid.UUID, QuizTotals]:
    """Question count and total points of each quiz, in one query."""
    found = await repository.question_totals(session, [q.id for q in quizzes])
    return {quiz.id: QuizTotals(*found.get(quiz.id, (0, Decimal("0")))) for quiz in quizzes}


async def _check_lesson(
    session: AsyncSession, *, course_id: uuid.UUID, lesson_id: uuid.UUID, quiz_id: uuid.UUID | None
) -> None:
    try:
        lesson = await courses.get_lesson_or_raise(session, lesson_id)
    except NotFound as exc:
        raise RuleViolation(
            "lesson_id does not name a lesson of this course.", code="lesson_not_in_course"
        ) from exc
    if lesson.course_id != course_id:
        raise RuleViolation(
            "lesson_id does not name a lesson of this course.", code="lesson_not_in_course"
        )
    holder = await repository.get_quiz_for_lesson(session, lesson_id)
    if holder is not None and holder.id != quiz_id:
        raise LessonHasQuiz()


async def _flush_quiz(session: AsyncSession) -> None:
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:  # two quizzes raced for one lesson
        raise LessonHasQuiz() from exc


async def create_quiz(
    session: AsyncSession, *, principal: Principal, course_id: uuid.UUID, data: QuizCreate
) -> Quiz:
    """A draft quiz in a course (its instructor or an admin)."""
    course = await _managed_course(session, principal=principal, course_id=course_id)
    if data.lesson_id is not None:
        await _check_lesson(session, course_id=course.id, lesson_id=data.lesson_id, quiz_id=None)
    quiz = Quiz(
        course_id=course.id,
        is_published=False,
        **data.model_dump(exclude={"is_published", "course_id"}),
    )
    session.add(quiz)
    await _flush_quiz(session)
    return quiz


async def list_quizzes(
    session: AsyncSession,
    *,
    principal: Principal | None,
    course_id: uuid.UUID | None = None,
    lesson_id: uuid.UUID | None = None,
    quiz_type: str | None = None,
    offset: int,
    limit: int,
) -> tuple[list[Quiz], int]:
    """Quizzes the caller may see: of one course (its managers see drafts too), or,
    without ``course_id``, of every course (admins: all; others: the published quizzes
    of published courses and every quiz of the courses they teach)."""
    if course_id is not None:
        course = await courses.get_visible_course_or_raise(
            session, principal=principal, course_id=course_id
        )
        stmt = repository.quizzes_where(
            course_ids=[course.id],
            lesson_id=lesson_id,
            quiz_type=quiz_type,
            published_only=not _can_manage(principal, course),
        )
    elif principal is not None and principal.is_admin:
        stmt = repository.quizzes_where(lesson_id=lesson_id, quiz_type=quiz_type)
    else:
        found = await courses.get_courses(
            session, await repository.course_ids_with_quizzes(session)
        )
        stmt = repository.quizzes_where(
            lesson_id=lesson_id,
            quiz_type=quiz_type,
            managed_course_ids=[cid for cid, c in found.items() if _can_manage(principal, c)],
            published_course_ids=[cid for cid, c in found.items() if c.is_published],
        )
    return await repository.page_quizzes(session, stmt, offset=offset, limit=limit)


async def get_quiz(
    session: AsyncSession,
    *,
    principal: Principal | None,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> Quiz:
    context = await _visible_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    return context.quiz


async def update_quiz(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    data: QuizUpdate,
    course_id: uuid.UUID | None = None,
) -> Quiz:
    context = await _managed_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    quiz = context.quiz
    changes = data.model_dump(exclude_unset=True)
    if changes.get("lesson_id") is not None and changes["lesson_id"] != quiz.lesson_id:
        await _check_lesson(
            session, course_id=quiz.course_id, lesson_id=changes["lesson_id"], quiz_id=quiz.id
        )
    nullable = {"description", "lesson_id", "time_limit_minutes", "max_attempts"}
    for field, value in changes.items():
        if field == "is_published":
            continue
        if value is not None or field in nullable:
            setattr(quiz, field, value)
    if changes.get("is_published") is True:
        await _publish(session, quiz)
    elif changes.get("is_published") is False:
        quiz.is_published = False
    await _flush_quiz(session)
    return quiz


async def _publish(session: AsyncSession, quiz: Quiz) -> None:
    if not quiz.is_published:
        if not await repository.list_questions(session, quiz.id):
            raise RuleViolation("Add at least one question before publishing.", code="quiz_empty")
        quiz.is_published = True
        quiz.published_at = now()


async def publish_quiz(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> Quiz:
    """Open the quiz to enrolled students (it needs at least one question)."""
    context = await _managed_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    await _publish(session, context.quiz)
    await session.flush()
    return context.quiz


async def delete_quiz(session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID) -> None:
    context = await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    if await repository.has_attempts(session, quiz_id):
        raise QuizHasAttempts()
    await session.delete(context.quiz)
    await session.flush()


# --- questions -------------------------------------------------------------------


def _definition(question_type: str, options: Any, correct_answer: Any) -> grading.Definition:
    try:
        return grading.check_definition(question_type, options, correct_answer)
    except grading.DefinitionError as exc:
        raise InvalidQuestion(f"Invalid question: {exc}.") from exc


async def list_questions_for_manager(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> list[QuizQuestion]:
    """Every question with its correct answer and explanation (the course's managers)."""
    await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    return await repository.list_questions(session, quiz_id)


async def list_questions_for_student(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> list[QuizQuestion]:
    """The questions of a published quiz for an enrolled student (the router strips the
    answers). A timed quiz shows its questions only inside an attempt, so its clock
    cannot be dodged by reading them first."""
    context = await _visible_quiz(session, principal=principal, quiz_id=quiz_id)
    if not context.is_manager:
        await _enrollment_for_taking(session, principal=principal, course=context.course)
        if context.quiz.time_limit_minutes and not await repository.student_has_attempt(
            session, student_id=principal.id, quiz_id=quiz_id
        ):
            raise Forbidden(
                "This quiz is timed: its questions are shown once you start an attempt.",
                code="attempt_required",
            )
    return await repository.list_questions(session, quiz_id)


async def add_question(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID, data: QuestionCreate
) -> QuizQuestion:
    await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    definition = _definition(data.question_type, data.options, data.correct_answer)
    order_index = data.order_index
    if order_index is None:
        order_index = await repository.next_order_index(session, quiz_id)
    question = QuizQuestion(
        quiz_id=quiz_id,
        question_text=data.question_text,
        question_type=data.question_type,
        options=definition.options,
        correct_answer=definition.correct_answer,
        points=data.points,
        order_index=order_index,
        explanation=data.explanation,
        question_metadata=data.question_metadata,
    )
    session.add(question)
    await session.flush()
    return question


async def _question_of(
    session: AsyncSession, *, quiz_id: uuid.UUID, question_id: uuid.UUID
) -> QuizQuestion:
    question = await repository.get_question(session, question_id)
    if question is None or question.quiz_id != quiz_id:
        raise QuestionNotFound()
    return question


async def update_question(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    question_id: uuid.UUID,
    data: QuestionUpdate,
) -> QuizQuestion:
    """Edit a question. Once students have attempted the quiz, only its text, explanation,
    position and metadata may change (409 otherwise)."""
    await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    question = await _question_of(session, quiz_id=quiz_id, question_id=question_id)
    changes = data.model_dump(exclude_unset=True)
    question_type = changes.get("question_type") or question.question_type
    options = changes.get("options", question.options)
    correct = changes.get("correct_answer", question.correct_answer)
    if question_type == "true_false" and "question_type" in changes and "options" not in changes:
        options = None  # the author changed the type; the old options do not apply
    definition = _definition(question_type, options, correct)
    points = changes.get("points") or question.points
    answer_changed = (
        question_type != question.question_type
        or definition.options != question.options
        or definition.correct_answer != question.correct_answer
        or Decimal(points) != Decimal(question.points)
    )
    if answer_changed and await repository.has_attempts(session, quiz_id):
        raise QuestionLocked()
    question.question_type = question_type
    question.options = definition.options
    question.correct_answer = definition.correct_answer
    question.points = points
    for field in ("question_text", "order_index"):
        if changes.get(field) is not None:
            setattr(question, field, changes[field])
    for field in ("explanation", "question_metadata"):
        if field in changes:
            setattr(question, field, changes[field])
    await session.flush()
    return question


async def delete_question(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID, question_id: uuid.UUID
) -> None:
    context = await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    question = await _question_of(session, quiz_id=quiz_id, question_id=question_id)
    if await repository.has_attempts(session, quiz_id):
        raise QuestionLocked()
    if context.quiz.is_published and len(await repository.list_questions(session, quiz_id)) == 1:
        raise RuleViolation(
            "A published quiz keeps at least one question; unpublish it first.",
            code="quiz_empty",
        )
    await session.delete(question)
    await session.flush()


# --- attempts: what the router shows -----------------------------------------------


class QuestionFields(Protocol):
    """What attempts read of a question: its row, or a ``QuizQuestion``."""

    @property
    def id(self) -> uuid.UUID: ...
    @property
    def quiz_id(self) -> uuid.UUID: ...
    @property
    def question_text(self) -> str: ...
    @property
    def question_type(self) -> str: ...
    @property
    def options(self) -> list[str] | None: ...
    @property
    def points(self) -> Decimal: ...
    @property
    def order_index(self) -> int: ...
    @property
    def correct_answer(self) -> str | None: ...
    @property
    def explanation(self) -> str | None: ...


Questions = dict[uuid.UUID, QuestionFields]


@dataclass(frozen=True)
class AttemptView:
    """An attempt with what is needed to show it, and how much the viewer may see."""

    attempt: QuizAttempt
    quiz: Quiz
    questions: Questions
    viewer_is_manager: bool
    at: datetime

    @property
    def ordered_questions(self) -> list[QuestionFields]:
        ids = (uuid.UUID(qid) for qid in self.attempt.question_order)
        return [self.questions[qid] for qid in ids if qid in self.questions]

    def options_of(self, question: QuestionFields) -> list[str] | None:
        shuffled = (self.attempt.option_order or {}).get(str(question.id))
        return list(shuffled) if shuffled is not None else question.options

    @property
    def reveals_answers(self) -> bool:
        if self.viewer_is_manager:
            return True
        return self.attempt.status != "in_progress" and self.quiz.show_correct_answers

    @property
    def shows_results(self) -> bool:
        return self.attempt.status != "in_progress"


# --- attempts: grading ---------------------------------------------------------------


def _saved_answers(attempt: QuizAttempt) -> dict[str, str | None]:
    return {item["question_id"]: item.get("answer") for item in attempt.answers or []}


def _store_answers(attempt: QuizAttempt, answers: dict[str, str | None]) -> None:
    attempt.answers = [
        {"question_id": qid, "answer": answers[qid]}
        for qid in attempt.question_order
        if qid in answers
    ]


def _mark(attempt: QuizAttempt, questions: Questions) -> None:
    answers = _saved_answers(attempt)
    marks: dict[str, dict[str, Any]] = {}
    for qid in attempt.question_order:
        question = questions[uuid.UUID(qid)]
        mark = grading.mark_answer(
            question.question_type, question.correct_answer, question.points, answers.get(qid)
        )
        marks[qid] = {
            "points": None if mark.points is None else str(mark.points.quantize(grading.CENT)),
            "is_correct": mark.is_correct,
            "feedback": None,
        }
    attempt.marks = marks


async def _settle(
    session: AsyncSession,
    *,
    attempt: QuizAttempt,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> None:
    """Total the marks. With every answer marked the attempt is ``graded`` (and a passed
    graded quiz completes its lesson); otherwise it waits, ``submitted``, for a grader."""
    marks = attempt.marks or {}
    if any(marks[qid]["points"] is None for qid in attempt.question_order):
        attempt.status = "submitted"
        attempt.score = attempt.percentage = attempt.is_passed = None
        attempt.max_score = sum(
            (questions[uuid.UUID(qid)].points for qid in attempt.question_order), Decimal("0")
        )
        await _save(session, attempt, at=at)
        return
    total = grading.total_score(
        (Decimal(marks[qid]["points"]) for qid in attempt.question_order),
        (questions[uuid.UUID(qid)].points for qid in attempt.question_order),
        Decimal(quiz.passing_score),
    )
    attempt.status = "graded"
    attempt.graded_at = at
    attempt.score = total.score
    attempt.max_score = total.max_score
    attempt.percentage = total.percentage
    attempt.is_passed = total.is_passed
    await _save(session, attempt, at=at)
    if total.is_passed and quiz.quiz_type == "graded" and quiz.lesson_id is not None:
        await _complete_lesson(
            session, enrollment_id=attempt.enrollment_id, lesson_id=quiz.lesson_id
        )


async def _save(session: AsyncSession, attempt: QuizAttempt, *, at: datetime) -> None:
    if not await repository.save_attempt(session, attempt, at=at):
        raise AttemptChanged()  # another request wrote this attempt first


async def _complete_lesson(
    session: AsyncSession, *, enrollment_id: uuid.UUID, lesson_id: uuid.UUID
) -> None:
    """Count the passed quiz toward the course. An enrollment dropped since the attempt
    started no longer progresses; the attempt keeps its grade all the same."""
    try:
        # Both refusals come before complete_lesson writes anything.
        await enrollments.complete_lesson(session, enrollment_id=enrollment_id, lesson_id=lesson_id)
    except (enrollments.EnrollmentClosed, enrollments.LessonNotInCourse):
        log.info(
            "passed quiz not counted toward its lesson",
            extra={"enrollment_id": str(enrollment_id), "lesson_id": str(lesson_id)},
        )


def _grace(settings: Settings) -> timedelta:
    return timedelta(seconds=settings.quiz_submit_grace_seconds)


def _is_expired(attempt: QuizAttempt, at: datetime, settings: Settings) -> bool:
    return (
        attempt.status == "in_progress"
        and attempt.deadline_at is not None
        and at > attempt.deadline_at + _grace(settings)
    )


async def _close_at_deadline(
    session: AsyncSession,
    *,
    attempt: QuizAttempt,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> None:
    assert attempt.deadline_at is not None
    attempt.submitted_at = attempt.deadline_at
    attempt.closed_at_deadline = True
    attempt.time_taken_seconds = int((attempt.deadline_at - attempt.started_at).total_seconds())
    _mark(attempt, questions)
    try:
        await _settle(session, attempt=attempt, quiz=quiz, questions=questions, at=at)
    except AttemptChanged as exc:  # a concurrent request closed it first
        raise AttemptClosed() from exc
    session.info[CLOSED_ATTEMPTS_KEY] = True


async def _close_if_expired(
    session: AsyncSession,
    *,
    settings: Settings,
    attempt: QuizAttempt,
    quiz: Quiz,
    questions: Questions,
    at: datetime,
) -> bool:
    if not _is_expired(attempt, at, settings):
        return False
    await _close_at_deadline(session, attempt=attempt, quiz=quiz, questions=questions, at=at)
    return True


async def _questions_by_id(session: AsyncSession, quiz_id: uuid.UUID) -> Questions:
    return {q.id: q for q in await repository.question_rows(session, quiz_id)}


async def close_expired_attempts(
    session: AsyncSession, *, settings: Settings, limit: int = 500
) -> int:
    """Close and grade every open attempt whose deadline and grace have passed, as if
    submitted at its deadline. Returns how many were closed."""
    at = now()
    attempts = await repository.expired_open_attempts(
        session, before=at - _grace(settings), limit=limit
    )
    quiz_ids = list({a.quiz_id for a in attempts})
    quizzes = {quiz.id: quiz for quiz in await repository.get_quizzes(session, quiz_ids)}
    questions: dict[uuid.UUID, Questions] = {qid: {} for qid in quiz_ids}
    for question in await repository.question_rows_of_quizzes(session, quiz_ids):
        questions[question.quiz_id][question.id] = question
    for attempt in attempts:
        await _close_at_deadline(
            session,
            attempt=attempt,
            quiz=quizzes[attempt.quiz_id],
            questions=questions[attempt.quiz_id],
            at=at,
        )
    session.info.pop(CLOSED_ATTEMPTS_KEY, None)
    return len(attempts)


@jobs.periodic("quizzes.close_expired_attempts", every_seconds=60)
async def _close_expired_attempts_job(session: AsyncSession) -> None:
    await close_expired_attempts(session, settings=get_settings())


# --- attempts: taking -----------------------------------------------------------------


def _new_attempt(
    *,
    quiz: Quiz,
    questions: list[QuestionFields],
    enrollment_id: uuid.UUID,
    student_id: uuid.UUID,
    attempt_number: int,
    at: datetime,
) -> QuizAttempt:
    order = list(questions)
    if quiz.shuffle_questions:
        _shuffler.shuffle(order)
    option_order: dict[str, list[str]] = {}
    for question in order:
        if question.question_type == "multiple_choice" and question.options:
            options = list(question.options)
            if quiz.shuffle_options:
                _shuffler.shuffle(options)
            option_order[str(question.id)] = options
    return QuizAttempt(
        quiz_id=quiz.id,
        enrollment_id=enrollment_id,
        student_id=student_id,
        attempt_number=attempt_number,
        status="in_progress",
        started_at=at,
        deadline_at=at + timedelta(minutes=quiz.time_limit_minutes)
        if quiz.time_limit_minutes
        else None,
        answers=[],
        question_order=[str(q.id) for q in order],
        option_order=option_order,
    )


@functools.cache
def _taking_state() -> Select[Any]:
    return repository.taking_state(
        course_published=courses.course_published_subquery,
        enrollment=functools.partial(enrollments.enrollment_subqueries, bindparam("student")),
    )


async def _start_fresh_attempt(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> AttemptView | None:
    """The usual start, in three statements: a published quiz of a published course, an
    enrolled student with no open attempt and attempts left. The new attempt is inserted
    unless a concurrent start took its number. None for anything else (and for a lost
    race); ``start_attempt``'s general path then resumes, refuses or explains."""
    state = await repository.read_taking_state(
        session, _taking_state(), quiz_id=quiz_id, student_id=principal.id
    )
    if state is None:
        return None
    quiz, number, enrollment_id = state.quiz, state.last_number, state.enrollment_id
    if not (
        quiz.is_published
        and state.course_published
        and enrollment_id is not None
        and state.enrollment_status in TAKING_STATUSES
        and not state.has_open
        and (quiz.max_attempts is None or number < quiz.max_attempts)
    ):
        return None
    questions = await _questions_by_id(session, quiz_id)
    if not questions:
        return None
    at = now()
    attempt = _new_attempt(
        quiz=quiz,
        questions=list(questions.values()),
        enrollment_id=enrollment_id,
        student_id=principal.id,
        attempt_number=number + 1,
        at=at,
    )
    # Every column, as the insert below does not go through the session.
    attempt.id = uuid.uuid4()
    attempt.updated_at = at
    attempt.version_id = 1
    attempt.closed_at_deadline = False
    for unset in repository.RESULT_COLUMNS:
        setattr(attempt, unset, None)
    if not await repository.insert_new_attempt(session, attempt):
        return None
    return AttemptView(attempt, quiz, questions, False, at)


async def start_attempt(
    session: AsyncSession, *, settings: Settings, principal: Principal, quiz_id: uuid.UUID
) -> tuple[AttemptView, bool]:
    """Open an attempt for an enrolled student, or resume the open one. Returns the
    attempt and whether it was created now.

    The question order, option order and deadline are fixed here. ``max_attempts`` holds
    under concurrent starts: attempt numbers are unique per student and quiz and at most
    one attempt is open, so of two racing starts one creates the attempt and the other
    resumes it."""
    started = await _start_fresh_attempt(session, principal=principal, quiz_id=quiz_id)
    if started is not None:
        return started, True
    context = await _visible_quiz(session, principal=principal, quiz_id=quiz_id)
    quiz = context.quiz
    enrollment = await _enrollment_for_taking(session, principal=principal, course=context.course)
    questions = await _questions_by_id(session, quiz_id)
    at = now()

    # The number and the open attempt in one read: an attempt a concurrent start opens
    # after it takes this number + 1 first, so the insert below fails on the unique
    # number and resumes that attempt instead of counting against max_attempts.
    latest = await repository.latest_attempt(session, enrollment_id=enrollment.id, quiz_id=quiz_id)
    number = latest.attempt_number if latest is not None else 0
    current = latest if latest is not None and latest.status == "in_progress" else None
    if current is not None:
        if not await _close_if_expired(
            session, settings=settings, attempt=current, quiz=quiz, questions=questions, at=at
        ):
            return AttemptView(current, quiz, questions, False, at), False
        number = max(number, current.attempt_number)
    if quiz.max_attempts is not None and number >= quiz.max_attempts:
        raise AttemptsExhausted()
    if not questions:
        raise Conflict("This quiz has no questions yet.", code="quiz_empty")
    attempt = _new_attempt(
        quiz=quiz,
        questions=list(questions.values()),
        enrollment_id=enrollment.id,
        student_id=principal.id,
        attempt_number=number + 1,
        at=at,
    )
    try:
        async with session.begin_nested():
            session.add(attempt)
            await session.flush()
    except IntegrityError:
        # A concurrent start took this attempt number: resume the attempt it opened.
        current = await repository.open_attempt(
            session, enrollment_id=enrollment.id, quiz_id=quiz_id
        )
        if current is None:
            raise Conflict(
                "Another attempt was started at the same moment; retry.", code="attempt_conflict"
            ) from None
        return AttemptView(current, quiz, questions, False, at), False
    return AttemptView(attempt, quiz, questions, False, at), True


async def _own_open_attempt(
    session: AsyncSession,
    *,
    principal: Principal,
    attempt_id: uuid.UUID,
    quiz_id: uuid.UUID | None,
) -> tuple[QuizAttempt, Quiz, Questions]:
    found = await repository.get_attempt_and_quiz_for_update(session, attempt_id)
    if found is None or found[0].student_id != principal.id:
        raise AttemptNotFound()
    attempt, quiz = found
    if quiz_id is not None and attempt.quiz_id != quiz_id:
        raise AttemptNotFound()
    return attempt, quiz, await _questions_by_id(session, quiz.id)


async def _checked_answers(
    session: AsyncSession,
    *,
    attempt: QuizAttempt,
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
    attempt, quiz, questions = await _own_open_attempt(
        session, principal=principal, attempt_id=attempt_id, quiz_id=quiz_id
    )
    at = now()
    if attempt.status != "in_progress":
        raise AttemptClosed()
    if await _close_if_expired(
        session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
    ):
        raise AttemptExpired()
    checked = await _checked_answers(session, attempt=attempt, questions=questions, answers=answers)
    _store_answers(attempt, {**_saved_answers(attempt), **checked})
    await _save(session, attempt, at=at)
    return AttemptView(attempt, quiz, questions, False, at)


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
    attempt, quiz, questions = await _own_open_attempt(
        session, principal=principal, attempt_id=attempt_id, quiz_id=quiz_id
    )
    at = now()
    if attempt.status != "in_progress":
        raise AttemptClosed()
    if await _close_if_expired(
        session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
    ):
        raise AttemptExpired()
    checked = await _checked_answers(session, attempt=attempt, questions=questions, answers=answers)
    _store_answers(attempt, {**_saved_answers(attempt), **checked})
    attempt.submitted_at = at
    attempt.time_taken_seconds = int((at - attempt.started_at).total_seconds())
    _mark(attempt, questions)
    try:
        await _settle(session, attempt=attempt, quiz=quiz, questions=questions, at=at)
    except AttemptChanged as exc:  # a concurrent submission won
        raise AttemptClosed() from exc
    return AttemptView(attempt, quiz, questions, False, at)


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
    quiz = await get_quiz_or_raise(session, attempt.quiz_id)
    manager = False
    if attempt.student_id != principal.id:
        course = await courses.get_course_or_raise(session, quiz.course_id)
        if not _can_manage(principal, course):
            raise AttemptNotFound()
        manager = True
    questions = await _questions_by_id(session, quiz.id)
    at = now()
    await _close_if_expired(
        session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
    )
    return AttemptView(attempt, quiz, questions, manager, at)


async def _views(
    session: AsyncSession,
    *,
    settings: Settings,
    quiz: Quiz,
    attempts: list[QuizAttempt],
    manager: bool,
) -> list[AttemptView]:
    questions = await _questions_by_id(session, quiz.id)
    at = now()
    for attempt in attempts:
        await _close_if_expired(
            session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
        )
    return [AttemptView(a, quiz, questions, manager, at) for a in attempts]


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
    context = await _visible_quiz(session, principal=principal, quiz_id=quiz_id)
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
    """Every attempt at a quiz (the course's managers), filtered by status or student."""
    context = await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    attempts, total = await repository.page_attempts(
        session, quiz_id=quiz_id, student_id=student_id, status=status, offset=offset, limit=limit
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
    context = await _managed_quiz(session, principal=principal, quiz_id=quiz_id)
    quiz = context.quiz
    attempt = await repository.get_attempt_for_update(session, attempt_id)
    if attempt is None or attempt.quiz_id != quiz_id:
        raise AttemptNotFound()
    questions = await _questions_by_id(session, quiz_id)
    at = now()
    await _close_if_expired(
        session, settings=settings, attempt=attempt, quiz=quiz, questions=questions, at=at
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
    attempt.marks = marks
    if data.feedback is not None:
        attempt.feedback = data.feedback
    attempt.graded_by_id = principal.id
    await _settle(session, attempt=attempt, quiz=quiz, questions=questions, at=at)
    return AttemptView(attempt, quiz, questions, True, at)
