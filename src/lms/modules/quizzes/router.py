"""Quizzes over HTTP: the course-scoped paths, seed 000's flat aliases (same code), the
taking of attempts and their grading."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, TypeVar

from fastapi import APIRouter, Depends, Query, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.deps import CurrentPrincipal, OptionalPrincipal, SessionDep, SettingsDep
from lms.core.errors import AppError, problem_responses
from lms.core.pagination import Page, Pagination
from lms.core.ratelimit import per_user_and_ip
from lms.core.routing import TransactionalRoute
from lms.core.session import commit
from lms.modules.quizzes import service, views
from lms.modules.quizzes.models import Quiz
from lms.modules.quizzes.schemas import (
    AttemptAnswers,
    AttemptGrade,
    AttemptRead,
    AttemptSheet,
    AttemptStatus,
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
attempts = APIRouter(
    prefix="/attempts",
    tags=["quizzes"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)

T = TypeVar("T")
# Starting, saving and submitting attempts: a budget per user and per client address.
ATTEMPT_RATE_LIMIT = [Depends(per_user_and_ip("attempts", "attempt_rate_limit_per_minute"))]


async def keeping_closed_attempts(session: AsyncSession, call: Awaitable[T]) -> T:
    """Run ``call``; if it refuses the caller after closing an expired attempt, the
    closure is committed before the refusal is sent (the attempt stays graded)."""
    try:
        return await call
    except AppError:
        if session.info.pop(service.CLOSED_ATTEMPTS_KEY, False):
            await commit(session)
        raise


async def _quiz_page(
    session: AsyncSession, found: tuple[list[Quiz], int], pagination: Pagination
) -> Page[QuizRead]:
    items, total = found
    totals = await service.quiz_totals(session, items)
    return Page(
        items=[views.quiz_read(q, totals[q.id]) for q in items],
        total=total,
        page=pagination.page,
        page_size=pagination.page_size,
    )


async def _quiz_read(session: AsyncSession, quiz: Quiz) -> QuizRead:
    totals = await service.quiz_totals(session, [quiz])
    return views.quiz_read(quiz, totals[quiz.id])


def _attempt_page(
    found: tuple[list[service.AttemptView], int], pagination: Pagination
) -> Page[AttemptRead]:
    items, total = found
    return Page(
        items=[views.attempt_read(v) for v in items],
        total=total,
        page=pagination.page,
        page_size=pagination.page_size,
    )


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
    course_id: uuid.UUID,
    quiz_id: uuid.UUID,
    data: QuizUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> QuizRead:
    """Change a quiz's settings (its instructor or an admin). Changes to the time limit
    and shuffling apply to attempts started afterwards."""
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
    quiz_id: uuid.UUID, data: QuizUpdate, principal: CurrentPrincipal, session: SessionDep
) -> QuizRead:
    """Change a quiz's settings; the same as the course-scoped PATCH."""
    quiz = await service.update_quiz(session, principal=principal, quiz_id=quiz_id, data=data)
    return await _quiz_read(session, quiz)


@quizzes.delete("/{quiz_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_quiz(quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep) -> None:
    """Delete a quiz and its questions (409 once students have attempted it)."""
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
    quiz_id: uuid.UUID,
    question_id: uuid.UUID,
    data: QuestionUpdate,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> QuestionManageRead:
    """Edit a question. Once students have attempted the quiz only the text, the
    explanation, the position and the metadata may change (409 otherwise)."""
    question = await service.update_question(
        session, principal=principal, quiz_id=quiz_id, question_id=question_id, data=data
    )
    return views.question_manage(question)


@quizzes.delete("/{quiz_id}/questions/{question_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_question(
    quiz_id: uuid.UUID, question_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> None:
    """Remove a question (409 once students have attempted the quiz)."""
    await service.delete_question(
        session, principal=principal, quiz_id=quiz_id, question_id=question_id
    )


# --- attempts ---------------------------------------------------------------------------
# The fixed paths (/start, /my-attempts) come before /{attempt_id}.


@quizzes.post(
    "/{quiz_id}/attempts",
    response_model=AttemptSheet,
    status_code=201,
    responses={200: {"model": AttemptSheet, "description": "The open attempt, resumed"}},
    dependencies=ATTEMPT_RATE_LIMIT,
)
async def start_attempt(
    quiz_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> AttemptSheet:
    """Start an attempt (enrolled students, published quizzes): 201 with the questions
    in this attempt's order, or 200 with the open attempt if there is one. The order
    and the deadline are fixed now. 409 `max_attempts_reached` when none are left."""
    view, created = await keeping_closed_attempts(
        session,
        service.start_attempt(session, settings=settings, principal=principal, quiz_id=quiz_id),
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.attempt_sheet(view)


@quizzes.get(
    "/{quiz_id}/attempts/start", response_model=AttemptSheet, dependencies=ATTEMPT_RATE_LIMIT
)
async def take_quiz(
    quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> AttemptSheet:
    """The quiz as the student must see it: resumes the open attempt, or starts one (as
    `POST /quizzes/{quiz_id}/attempts`). Never contains correct answers."""
    view, _created = await keeping_closed_attempts(
        session,
        service.start_attempt(session, settings=settings, principal=principal, quiz_id=quiz_id),
    )
    return views.attempt_sheet(view)


@quizzes.get("/{quiz_id}/attempts/my-attempts", response_model=Page[AttemptRead])
async def list_my_attempts(
    quiz_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    pagination: Pagination,
) -> Page[AttemptRead]:
    """Your own attempts at this quiz, newest first."""
    found = await service.list_my_attempts(
        session,
        settings=settings,
        principal=principal,
        quiz_id=quiz_id,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _attempt_page(found, pagination)


@quizzes.get("/{quiz_id}/attempts", response_model=Page[AttemptRead])
async def list_quiz_attempts(
    quiz_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    pagination: Pagination,
    status_filter: Annotated[AttemptStatus | None, Query(alias="status")] = None,
    student_id: uuid.UUID | None = None,
) -> Page[AttemptRead]:
    """Every attempt at this quiz with answers and marks (instructor, admin); filter by
    `status` (e.g. `submitted`: waiting for grading) or `student_id`."""
    found = await service.list_quiz_attempts(
        session,
        settings=settings,
        principal=principal,
        quiz_id=quiz_id,
        status=status_filter,
        student_id=student_id,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _attempt_page(found, pagination)


@quizzes.get("/{quiz_id}/attempts/{attempt_id}", response_model=AttemptRead)
async def get_quiz_attempt(
    quiz_id: uuid.UUID,
    attempt_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """An attempt and its result: for its student (correct answers only when the quiz
    shows them, after submission) and for the course's managers; 404 for anyone else."""
    view = await service.get_attempt(
        session, settings=settings, principal=principal, attempt_id=attempt_id, quiz_id=quiz_id
    )
    return views.attempt_read(view)


@quizzes.put(
    "/{quiz_id}/attempts/{attempt_id}/answers",
    response_model=AttemptRead,
    dependencies=ATTEMPT_RATE_LIMIT,
)
async def save_quiz_attempt_answers(
    quiz_id: uuid.UUID,
    attempt_id: uuid.UUID,
    data: AttemptAnswers,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Save answers without submitting (merged with those saved before). If the time
    runs out, the saved answers are graded."""
    view = await keeping_closed_attempts(
        session,
        service.save_answers(
            session,
            settings=settings,
            principal=principal,
            attempt_id=attempt_id,
            quiz_id=quiz_id,
            answers=data.answers,
        ),
    )
    return views.attempt_read(view)


@quizzes.post(
    "/{quiz_id}/attempts/{attempt_id}/submit",
    response_model=AttemptRead,
    dependencies=ATTEMPT_RATE_LIMIT,
)
async def submit_quiz_attempt(
    quiz_id: uuid.UUID,
    attempt_id: uuid.UUID,
    data: AttemptAnswers,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Submit the attempt: `{"answers": [{"question_id", "answer"}]}`, merged over the
    saved answers. Objective questions are graded at once; essays and short answers
    without accepted answers leave the attempt `submitted` until graded by hand.

    Deadline: a submission up to `LMS_QUIZ_SUBMIT_GRACE_SECONDS` (30 s) after the
    deadline is accepted; a later one is refused with 409 `attempt_expired`, and the
    attempt is closed as submitted at its deadline with the answers saved until then.
    A second submission is 409 `attempt_already_submitted` and changes nothing.
    Unknown questions, questions of another quiz and answers of the wrong kind are 422."""
    view = await keeping_closed_attempts(
        session,
        service.submit_attempt(
            session,
            settings=settings,
            principal=principal,
            attempt_id=attempt_id,
            quiz_id=quiz_id,
            answers=data.answers,
        ),
    )
    return views.attempt_read(view)


@quizzes.post("/{quiz_id}/attempts/{attempt_id}/grade", response_model=AttemptRead)
async def grade_quiz_attempt(
    quiz_id: uuid.UUID,
    attempt_id: uuid.UUID,
    data: AttemptGrade,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Grade by hand (instructor, admin): points (0 to the question's points) and
    feedback per question, plus overall feedback. When every question has points the
    attempt becomes `graded`; a passed graded quiz then completes its lesson."""
    view = await service.grade_attempt(
        session,
        settings=settings,
        principal=principal,
        quiz_id=quiz_id,
        attempt_id=attempt_id,
        data=data,
    )
    return views.attempt_read(view)


# --- flat attempts (seed 000) ------------------------------------------------------------


@attempts.get("/{attempt_id}", response_model=AttemptRead)
async def get_attempt(
    attempt_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> AttemptRead:
    """An attempt and its result; the same as `GET /quizzes/{quiz_id}/attempts/{attempt_id}`."""
    view = await service.get_attempt(
        session, settings=settings, principal=principal, attempt_id=attempt_id
    )
    return views.attempt_read(view)


@attempts.put("/{attempt_id}/answers", response_model=AttemptRead, dependencies=ATTEMPT_RATE_LIMIT)
async def save_attempt_answers(
    attempt_id: uuid.UUID,
    data: AttemptAnswers,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Save answers without submitting; the same as the quiz-scoped PUT."""
    view = await keeping_closed_attempts(
        session,
        service.save_answers(
            session,
            settings=settings,
            principal=principal,
            attempt_id=attempt_id,
            answers=data.answers,
        ),
    )
    return views.attempt_read(view)


@attempts.post("/{attempt_id}/submit", response_model=AttemptRead, dependencies=ATTEMPT_RATE_LIMIT)
async def submit_attempt(
    attempt_id: uuid.UUID,
    data: AttemptAnswers,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Submit an attempt; the same as `POST /quizzes/{quiz_id}/attempts/{attempt_id}/submit`
    (deadline: 30 s grace, then 409 `attempt_expired` and the attempt is closed at its
    deadline with the saved answers)."""
    view = await keeping_closed_attempts(
        session,
        service.submit_attempt(
            session,
            settings=settings,
            principal=principal,
            attempt_id=attempt_id,
            answers=data.answers,
        ),
    )
    return views.attempt_read(view)


routers = (course_quizzes, quizzes, attempts)
