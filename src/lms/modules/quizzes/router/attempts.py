"""Attempts over HTTP: starting, answering and submitting (students), reading and
grading (students and the course's managers), under the quiz and seed 000's flat
``/attempts`` aliases (same code)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from lms.core.deps import CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.idempotency import idempotent
from lms.core.pagination import Page, Pagination, page_of
from lms.core.ratelimit import per_account
from lms.core.routing import TransactionalRoute, creates, single_statements
from lms.modules.quizzes import service
from lms.modules.quizzes.router import views
from lms.modules.quizzes.schemas import (
    AttemptAnswers,
    AttemptGrade,
    AttemptRead,
    AttemptSheet,
    AttemptStatus,
)

# The attempts of a quiz (``/quizzes/{quiz_id}/attempts…``), after the quiz routes.
quiz_attempts = APIRouter(
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

# Starting, saving and submitting attempts: a budget per account.
ATTEMPT_RATE_LIMIT = [Depends(per_account("attempts", "attempt_rate_limit_per_minute"))]


def _attempt_page(
    found: tuple[list[service.AttemptView], int], pagination: Pagination
) -> Page[AttemptRead]:
    items, total = found
    return page_of([views.attempt_read(v) for v in items], total, pagination)


# --- attempts ---------------------------------------------------------------------------
# The fixed paths (/start, /my-attempts) come before /{attempt_id}.


@quiz_attempts.post(
    "/{quiz_id}/attempts",
    response_model=AttemptSheet,
    status_code=201,
    responses={200: {"model": AttemptSheet, "description": "The open attempt, resumed"}},
    dependencies=ATTEMPT_RATE_LIMIT,
)
@creates("/attempts/{id}")
@idempotent
@single_statements
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
    view, created = await service.start_attempt(
        session, settings=settings, principal=principal, quiz_id=quiz_id
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return views.attempt_sheet(view)


@quiz_attempts.get(
    "/{quiz_id}/attempts/start", response_model=AttemptSheet, dependencies=ATTEMPT_RATE_LIMIT
)
@single_statements
async def take_quiz(
    quiz_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep, settings: SettingsDep
) -> AttemptSheet:
    """The quiz as the student must see it: resumes the open attempt, or starts one (as
    `POST /quizzes/{quiz_id}/attempts`). Never contains correct answers."""
    view, _created = await service.start_attempt(
        session, settings=settings, principal=principal, quiz_id=quiz_id
    )
    return views.attempt_sheet(view)


@quiz_attempts.get("/{quiz_id}/attempts/my-attempts", response_model=Page[AttemptRead])
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


@quiz_attempts.get("/{quiz_id}/attempts", response_model=Page[AttemptRead])
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


@quiz_attempts.get("/{quiz_id}/attempts/{attempt_id}", response_model=AttemptRead)
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


@quiz_attempts.put(
    "/{quiz_id}/attempts/{attempt_id}/answers",
    response_model=AttemptRead,
    dependencies=ATTEMPT_RATE_LIMIT,
)
@single_statements
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
    view = await service.save_answers(
        session,
        settings=settings,
        principal=principal,
        attempt_id=attempt_id,
        quiz_id=quiz_id,
        answers=data.answers,
    )
    return views.attempt_read(view)


@quiz_attempts.post(
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
    view = await service.submit_attempt(
        session,
        settings=settings,
        principal=principal,
        attempt_id=attempt_id,
        quiz_id=quiz_id,
        answers=data.answers,
    )
    return views.attempt_read(view)


@quiz_attempts.post("/{quiz_id}/attempts/{attempt_id}/grade", response_model=AttemptRead)
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
@single_statements
async def save_attempt_answers(
    attempt_id: uuid.UUID,
    data: AttemptAnswers,
    principal: CurrentPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> AttemptRead:
    """Save answers without submitting; the same as the quiz-scoped PUT."""
    view = await service.save_answers(
        session,
        settings=settings,
        principal=principal,
        attempt_id=attempt_id,
        answers=data.answers,
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
    view = await service.submit_attempt(
        session,
        settings=settings,
        principal=principal,
        attempt_id=attempt_id,
        answers=data.answers,
    )
    return views.attempt_read(view)
