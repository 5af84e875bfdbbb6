"""Quizzes and their questions over HTTP: the course-scoped paths and seed 000's flat
aliases (same code)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.conditional import require_current
from lms.core.deps import CurrentPrincipal, OptionalPrincipal, Principal, SessionDep
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates
from lms.modules.quizzes import service
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.router import views
from lms.modules.quizzes.schemas import (
    QuestionCreate,
    QuestionManageRead,
    QuestionPublicRead,
    QuestionUpdate,
    QuizCreate,
    QuizCreateWithCourse,
    QuizRead,
    QuizType,
    QuizUpdate,
)
from lms.modules.quizzes.service.errors import QuestionNotFound

course_quizzes = APIRouter(
    prefix="/courses",
    tags=["quizzes"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)
quizzes = APIRouter(
    prefix="/quizzes",
    tags=["quizzes"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


async def _quiz_page(
    session: AsyncSession, found: tuple[list[Quiz], int], pagination: Pagination
) -> Page[QuizRead]:
    items, total = found
    totals = await service.quiz_totals(session, items)
    return page_of([views.quiz_read(q, totals[q.id]) for q in items], total, pagination)


async def _quiz_read(session: AsyncSession, quiz: Quiz) -> QuizRead:
    totals = await service.quiz_totals(session, [quiz])
    return views.quiz_read(quiz, totals[quiz.id])


# --- course-scoped quizzes (seed 003) ------------------------------------------------


@course_quizzes.get("/{course_id}/quizzes", response_model=Page[QuizRead])
async def list_course_quizzes(
    course_id: uuid.UUID,
    principal: OptionalPrincipal,
    session: SessionDep,
    pagination: Pagination,
    quiz_type: QuizType | None = None,
) -> Page[QuizRead]:
    """The quizzes of a course: the published ones for anyone who can see the course,
    drafts too for its instructor and admins. No questions here."""
    found = await service.list_quizzes(
        session,
        principal=principal,
        course_id=course_id,
        quiz_type=quiz_type,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return await _quiz_page(session, found, pagination)


@course_quizzes.post(
    "/{course_id}/quizzes", response_model=QuizRead, status_code=status.HTTP_201_CREATED
)
@creates("/quizzes/{id}")
async def create_course_quiz(
    course_id: uuid.UUID, data: QuizCreate, principal: CurrentPrincipal, session: SessionDep
) -> QuizRead:
    """Create a draft quiz in a course (its instructor or an admin). `lesson_id`, when
    given, must be a lesson of this course without a quiz."""
    quiz = await service.create_quiz(session, principal=principal, course_id=course_id, data=data)
    return await _quiz_read(session, quiz)


@course_quizzes.get("/{course_id}/quizzes/{quiz_id}", response_model=QuizRead)
async def get_course_quiz(
    course_id: uuid.UUID, quiz_id: uuid.UUID, principal: OptionalPrincipal, session: SessionDep
) -> QuizRead:
    """One quiz of a course (drafts only for the course's instructor and admins)."""
    quiz = await service.get_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    return await _quiz_read(session, quiz)


@course_quizzes.patch("/{course_id}/quizzes/{quiz_id}", response_model=QuizRead)
async def update_course_quiz(
    request: Request,
    course_id: uuid.UUID,
    quiz_id: uuid.UUID,
    data: QuizUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> QuizRead:
    """Change a quiz's settings (its instructor or an admin). Changes to the time limit
    and shuffling apply to attempts started afterwards. With `If-Match` (the quiz's
    `ETag`) a change made since you read it is 412 `precondition_failed`."""
    await _require_current_quiz(request, session, principal, quiz_id)
    quiz = await service.update_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id, data=data
    )
    return await _quiz_read(session, quiz)


@course_quizzes.post("/{course_id}/quizzes/{quiz_id}/publish", response_model=QuizRead)
async def publish_course_quiz(
    course_id: uuid.UUID, quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> QuizRead:
    """Open the quiz to the course's enrolled students. It needs at least one question."""
    quiz = await service.publish_quiz(
        session, principal=principal, quiz_id=quiz_id, course_id=course_id
    )
    return await _quiz_read(session, quiz)


# --- If-Match on writes ------------------------------------------------------------------


async def _require_current_quiz(
    request: Request, session: AsyncSession, principal: Principal, quiz_id: uuid.UUID
) -> None:
    """412 unless ``If-Match`` names the quiz as its GET shows it to the caller."""

    async def current() -> QuizRead:
        quiz = await service.get_quiz(session, principal=principal, quiz_id=quiz_id)
        return await _quiz_read(session, quiz)

    await require_current(request, current)


async def _require_current_question(
    request: Request,
    session: AsyncSession,
    principal: Principal,
    quiz_id: uuid.UUID,
    question_id: uuid.UUID,
) -> None:
    """412 unless ``If-Match`` names the question as the manage list shows it."""

    async def current() -> QuestionManageRead:
        found = await service.list_questions_for_manager(
            session, principal=principal, quiz_id=quiz_id
        )
        for question in found:
            if question.id == question_id:
                return views.question_manage(question)
        raise QuestionNotFound()

    await require_current(request, current)


# --- flat quizzes (seed 000) -----------------------------------------------------------


@quizzes.get("", response_model=Page[QuizRead])
async def list_quizzes(
    principal: OptionalPrincipal,
    session: SessionDep,
    pagination: Pagination,
    course_id: uuid.UUID | None = None,
    lesson_id: uuid.UUID | None = None,
    quiz_type: QuizType | None = None,
) -> Page[QuizRead]:
    """Quizzes the caller may see, optionally of one course or lesson: admins see all;
    others the published quizzes of the courses they can see, and every quiz of the
    courses they teach."""
    found = await service.list_quizzes(
        session,
        principal=principal,
        course_id=course_id,
        lesson_id=lesson_id,
        quiz_type=quiz_type,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return await _quiz_page(session, found, pagination)


@quizzes.post("", response_model=QuizRead, status_code=status.HTTP_201_CREATED)
@creates("/quizzes/{id}")
async def create_quiz(
    data: QuizCreateWithCourse, principal: CurrentPrincipal, session: SessionDep
) -> QuizRead:
    """Create a draft quiz; the same as `POST /courses/{course_id}/quizzes`."""
    quiz = await service.create_quiz(
        session, principal=principal, course_id=data.course_id, data=data
    )
    return await _quiz_read(session, quiz)


@quizzes.get("/{quiz_id}", response_model=QuizRead)
async def get_quiz(
    quiz_id: uuid.UUID, principal: OptionalPrincipal, session: SessionDep
) -> QuizRead:
    """One quiz (drafts only for the course's instructor and admins)."""
    quiz = await service.get_quiz(session, principal=principal, quiz_id=quiz_id)
    return await _quiz_read(session, quiz)


@quizzes.patch("/{quiz_id}", response_model=QuizRead)
async def update_quiz(
    request: Request,
    quiz_id: uuid.UUID,
    data: QuizUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> QuizRead:
    """Change a quiz's settings; the same as the course-scoped PATCH (`If-Match` too)."""
    await _require_current_quiz(request, session, principal, quiz_id)
    quiz = await service.update_quiz(session, principal=principal, quiz_id=quiz_id, data=data)
    return await _quiz_read(session, quiz)


@quizzes.delete("/{quiz_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_quiz(
    request: Request, quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Delete a quiz and its questions (409 once students have attempted it). Honours
    `If-Match` like `PATCH`."""
    await _require_current_quiz(request, session, principal, quiz_id)
    await service.delete_quiz(session, principal=principal, quiz_id=quiz_id)


# --- questions ------------------------------------------------------------------------


@quizzes.get("/{quiz_id}/questions", response_model=list[QuestionPublicRead])
async def list_questions(
    quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[QuestionPublicRead]:
    """The questions of a published quiz for enrolled students, never with correct
    answers or explanations. A timed quiz shows them only once an attempt is started."""
    found = await service.list_questions_for_student(session, principal=principal, quiz_id=quiz_id)
    return [views.question_public(q) for q in found]


@quizzes.get("/{quiz_id}/questions/manage", response_model=list[QuestionManageRead])
async def list_questions_for_manager(
    quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> list[QuestionManageRead]:
    """Every question with its correct answer and explanation (instructor, admin)."""
    found = await service.list_questions_for_manager(session, principal=principal, quiz_id=quiz_id)
    return [views.question_manage(q) for q in found]


@quizzes.post(
    "/{quiz_id}/questions", response_model=QuestionManageRead, status_code=status.HTTP_201_CREATED
)
@creates("/quizzes/{quiz_id}/questions/{id}")
async def add_question(
    quiz_id: uuid.UUID, data: QuestionCreate, principal: CurrentPrincipal, session: SessionDep
) -> QuestionManageRead:
    """Add a question. multiple_choice: at least two distinct `options` and
    `correct_answer` the text of the right one; true_false: `correct_answer` "true" or
    "false"; short_answer: accepted answers separated by `|` (none: graded by hand);
    essay: no correct answer, graded by hand."""
    question = await service.add_question(session, principal=principal, quiz_id=quiz_id, data=data)
    return views.question_manage(question)


@quizzes.patch("/{quiz_id}/questions/{question_id}", response_model=QuestionManageRead)
async def update_question(
    request: Request,
    quiz_id: uuid.UUID,
    question_id: uuid.UUID,
    data: QuestionUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> QuestionManageRead:
    """Edit a question. Once students have attempted the quiz only the text, the
    explanation, the position and the metadata may change (409 otherwise). With
    `If-Match` (the question's `ETag`, from its creation, its last change or the manage
    list's item) a change made since is 412 `precondition_failed`."""
    await _require_current_question(request, session, principal, quiz_id, question_id)
    question = await service.update_question(
        session, principal=principal, quiz_id=quiz_id, question_id=question_id, data=data
    )
    return views.question_manage(question)


@quizzes.delete("/{quiz_id}/questions/{question_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_question(
    request: Request,
    quiz_id: uuid.UUID,
    question_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> None:
    """Remove a question (409 once students have attempted the quiz). Honours `If-Match`
    like `PATCH`."""
    await _require_current_question(request, session, principal, quiz_id, question_id)
    await service.delete_question(
        session, principal=principal, quiz_id=quiz_id, question_id=question_id
    )
