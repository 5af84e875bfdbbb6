"""Assignment submissions over HTTP: hand in work for an assignment lesson, list and
grade it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Response, status

from lms.core.deps import CurrentPrincipal, SessionDep
from lms.core.errors import problem_responses
from lms.core.idempotency import idempotent
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute, creates
from lms.modules import schedules
from lms.modules.assignments import service
from lms.modules.assignments.models import AssignmentSubmission
from lms.modules.assignments.schemas import (
    SubmissionCreate,
    SubmissionGrade,
    SubmissionRead,
    SubmissionStatus,
)

lessons = APIRouter(
    prefix="/lessons",
    tags=["assignments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)
submissions = APIRouter(
    prefix="/submissions",
    tags=["assignments"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)

StatusFilter = Annotated[SubmissionStatus | None, Query(alias="status")]


def _page(
    found: tuple[list[AssignmentSubmission], int], pagination: Pagination
) -> Page[SubmissionRead]:
    items, total = found
    return page_of([SubmissionRead.model_validate(s) for s in items], total, pagination)


@lessons.post(
    "/{lesson_id}/submissions",
    response_model=SubmissionRead,
    status_code=status.HTTP_201_CREATED,
    responses={200: {"model": SubmissionRead, "description": "The work, resubmitted"}},
)
@creates("/submissions/{id}")
@idempotent
async def submit_assignment(
    lesson_id: uuid.UUID,
    data: SubmissionCreate,
    principal: CurrentPrincipal,
    session: SessionDep,
    response: Response,
) -> SubmissionRead:
    """Hand in work for an assignment lesson (enrolled students): `text`, `file_id` (an
    uploaded file) or both. 201 the first time; a resubmission replaces the work (200,
    `submission_count` goes up) until it is graded (then 409 `submission_graded`,
    unless the grade was below the lesson's passing score)."""
    submission, created = await service.submit_assignment(
        session, principal=principal, lesson_id=lesson_id, data=data
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return SubmissionRead.model_validate(submission)


@lessons.get("/{lesson_id}/submissions", response_model=Page[SubmissionRead])
async def list_lesson_submissions(
    lesson_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: SessionDep,
    pagination: Pagination,
    status_filter: StatusFilter = None,
) -> Page[SubmissionRead]:
    """Every student's submission for this lesson (the course's instructor, admins),
    newest first; `status=submitted` lists the work waiting for a grade."""
    found = await service.list_lesson_submissions(
        session,
        principal=principal,
        lesson_id=lesson_id,
        status=status_filter,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _page(found, pagination)


@lessons.get("/{lesson_id}/submissions/my", response_model=SubmissionRead)
async def get_my_lesson_submission(
    lesson_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> SubmissionRead:
    """Your submission for this lesson, with its grade and feedback once graded."""
    submission = await service.get_my_lesson_submission(
        session, principal=principal, lesson_id=lesson_id
    )
    return SubmissionRead.model_validate(submission)


@submissions.get("/my", response_model=Page[SubmissionRead])
async def list_my_submissions(
    principal: CurrentPrincipal,
    session: SessionDep,
    pagination: Pagination,
    course_id: uuid.UUID | None = None,
    status_filter: StatusFilter = None,
) -> Page[SubmissionRead]:
    """Your own submissions, newest first, optionally for one course or status."""
    found = await service.list_my_submissions(
        session,
        principal=principal,
        course_id=course_id,
        status=status_filter,
        offset=pagination.offset,
        limit=pagination.page_size,
    )
    return _page(found, pagination)


@submissions.get("/{submission_id}", response_model=SubmissionRead)
async def get_submission(
    submission_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> SubmissionRead:
    """One submission, for its student and the course's instructor and admins."""
    submission = await service.get_submission(
        session, principal=principal, submission_id=submission_id
    )
    return SubmissionRead.model_validate(submission)


@submissions.post("/{submission_id}/grade", response_model=SubmissionRead)
async def grade_submission(
    submission_id: uuid.UUID,
    data: SubmissionGrade,
    principal: CurrentPrincipal,
    session: SessionDep,
) -> SubmissionRead:
    """Grade a submission (the course's instructor, admins): `score` 0-100 and
    `feedback`. A passing grade (any grade, unless the lesson sets
    `lesson_metadata.passing_score`) completes the lesson for the student."""
    submission = await service.grade_submission(
        session, principal=principal, submission_id=submission_id, data=data
    )
    return SubmissionRead.model_validate(submission)


routers = [lessons, submissions]


async def _scheduled_lesson(
    lesson_id: uuid.UUID, principal: CurrentPrincipal, session: SessionDep
) -> schedules.ScheduledItem:
    return await service.scheduled_lesson(session, principal=principal, lesson_id=lesson_id)


# The lesson's dates, late policy and overrides (the schedules module's routes).
schedules.add_schedule_routes(
    lessons,
    path="/{lesson_id}/schedule",
    location="/lessons/{lesson_id}/schedule",
    find_item=_scheduled_lesson,
    noun="lesson",
)
