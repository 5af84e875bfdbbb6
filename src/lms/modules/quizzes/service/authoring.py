"""Authoring: quizzes and their questions, by the course's instructor or an admin.
Once students have attempted a quiz its questions are locked: none can be removed, and
nothing that decides a mark (type, options, correct answer, points) can change.

Every change to a quiz or its questions moves the quiz's ``content_version`` on, in the
same transaction: attempts read quizzes from versions cached under it (``versions``)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import Principal
from lms.core.errors import Forbidden, NotFound, RuleViolation
from lms.modules import courses
from lms.modules.quizzes import grading, repository, service
from lms.modules.quizzes.models import Quiz, QuizQuestion
from lms.modules.quizzes.repository import QuestionRecord
from lms.modules.quizzes.schemas import QuestionCreate, QuestionUpdate, QuizCreate, QuizUpdate
from lms.modules.quizzes.service import access, scheduling
from lms.modules.quizzes.service.errors import (
    InvalidQuestion,
    LessonHasQuiz,
    QuestionLocked,
    QuestionNotFound,
    QuizHasAttempts,
)

# --- quizzes ---------------------------------------------------------------------


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
    course = await access.managed_course(session, principal=principal, course_id=course_id)
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
            published_only=not await access.can_manage(session, principal, course),
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
            managed_course_ids=[
                cid for cid, c in found.items() if await access.can_manage(session, principal, c)
            ],
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
    """One quiz the caller may see (drafts only for the course's managers)."""
    context = await access.visible_quiz(
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
    """Change a quiz's settings (its course's managers); ``is_published`` publishes or
    withdraws it."""
    context = await access.managed_quiz(
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
    await repository.new_content_version(session, quiz.id)
    if "title" in changes and quiz.has_schedule:
        await scheduling.rename(session, quiz)
    return quiz


async def _publish(session: AsyncSession, quiz: Quiz) -> None:
    if not quiz.is_published:
        if not await repository.list_questions(session, quiz.id):
            raise RuleViolation("Add at least one question before publishing.", code="quiz_empty")
        quiz.is_published = True
        quiz.published_at = service.now()


async def publish_quiz(
    session: AsyncSession,
    *,
    principal: Principal,
    quiz_id: uuid.UUID,
    course_id: uuid.UUID | None = None,
) -> Quiz:
    """Open the quiz to enrolled students (it needs at least one question)."""
    context = await access.managed_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    await _publish(session, context.quiz)
    await session.flush()
    await repository.new_content_version(session, quiz_id)
    return context.quiz


async def delete_quiz(session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID) -> None:
    """Delete a quiz and its questions, unless students have attempted it."""
    context = await access.managed_quiz(session, principal=principal, quiz_id=quiz_id)
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
    await access.managed_quiz(session, principal=principal, quiz_id=quiz_id)
    return await repository.list_questions(session, quiz_id)


async def list_questions_for_student(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID
) -> list[QuestionRecord]:
    """The questions of a published quiz for an enrolled student (the router strips the
    answers). A timed quiz shows its questions only inside an attempt, so its clock
    cannot be dodged by reading them first."""
    context = await access.visible_quiz(session, principal=principal, quiz_id=quiz_id)
    if not context.is_manager:
        await access.enrollment_for_taking(session, principal=principal, course=context.course)
        if context.quiz.time_limit_minutes and not await repository.student_has_attempt(
            session, student_id=principal.id, quiz_id=quiz_id
        ):
            raise Forbidden(
                "This quiz is timed: its questions are shown once you start an attempt.",
                code="attempt_required",
            )
    return await repository.question_records(session, quiz_id)


async def add_question(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID, data: QuestionCreate
) -> QuizQuestion:
    """Add a question whose definition can be graded as written (422 otherwise)."""
    await access.managed_quiz(session, principal=principal, quiz_id=quiz_id)
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
    await repository.new_content_version(session, quiz_id)
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
    await access.managed_quiz(session, principal=principal, quiz_id=quiz_id)
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
    await repository.new_content_version(session, quiz_id)
    return question


async def delete_question(
    session: AsyncSession, *, principal: Principal, quiz_id: uuid.UUID, question_id: uuid.UUID
) -> None:
    """Remove a question, unless students have attempted the quiz; a published quiz
    keeps at least one."""
    context = await access.managed_quiz(session, principal=principal, quiz_id=quiz_id)
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
    await repository.new_content_version(session, quiz_id)
