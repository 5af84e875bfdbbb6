"""Roster imports (`/courses/{course_id}/roster/imports`), users imports for admins
(`/admin/imports/users`) and their jobs (`/jobs/{job_id}`)."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse

from lms.core.deps import AdminPrincipal, CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import UnsupportedMediaType, problem_responses
from lms.core.idempotency import idempotent
from lms.core.routing import TransactionalRoute
from lms.modules.imports import repository, service
from lms.modules.imports.schemas import ImportJobRead, ImportPlan

router = APIRouter(tags=["imports"], route_class=TransactionalRoute, responses=problem_responses())

CSV_TYPES = ("text/csv", "application/csv", "text/plain", "application/vnd.ms-excel")
DryRun = Annotated[
    bool, Query(description="Answer the plan (rows to create, update, leave, refuse) only")
]
BODY_DOC = {
    "requestBody": {
        "required": True,
        "content": {"text/csv": {"schema": {"type": "string", "format": "binary"}}},
    }
}


def _csv_body(request: Request, settings: SettingsDep) -> AsyncIterator[bytes]:
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type not in CSV_TYPES:
        raise UnsupportedMediaType("Send the file as the request body, Content-Type: text/csv.")
    return service.limited(request.stream(), settings.import_max_mb * 1024 * 1024)


async def _import(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    course_id: uuid.UUID | None,
    dry_run: bool,
) -> Response:
    context = await service.import_context(
        session, settings=settings, principal=principal, actor_id=principal.id, course_id=course_id
    )
    chunks = _csv_body(request, settings)
    if dry_run:
        # The rows run as they would for real, in a transaction of their own that is
        # rolled back: the plan is what the import would do, and nothing is written.
        async with request.app.state.sessionmaker() as planning:
            plan = await service.plan_import(planning, context=context, chunks=chunks)
            await planning.rollback()
        return JSONResponse(plan.model_dump(mode="json"))
    job = await service.start_import(
        session, settings=settings, principal=principal, context=context, chunks=chunks
    )
    read = ImportJobRead.model_validate(job)
    return JSONResponse(
        read.model_dump(mode="json"),
        status_code=status.HTTP_202_ACCEPTED,
        headers={"Location": f"/api/v1/jobs/{job.id}"},
    )


@router.post(
    "/courses/{course_id}/roster/imports",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobRead,
    responses={
        200: {"model": ImportPlan, "description": "The plan of a dry run"},
        **problem_responses(413, 415),
    },
    openapi_extra=BODY_DOC,
)
@idempotent(streamed=True)
async def import_roster(
    course_id: uuid.UUID,
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: CurrentPrincipal,
    dry_run: DryRun = False,
) -> Response:
    """Import a roster (the course's owner, co-instructors, admins): a CSV body
    (`Content-Type: text/csv`, at most `LMS_IMPORT_MAX_MB`) with the columns `email`,
    `full_name`, `role` (student, co_instructor or assistant), `cohort` (a cohort's
    name), `external_id`. Rows match accounts by `external_id`, then by email (any
    case); a new email gets an invited account. `?dry_run=true` answers the plan and
    writes nothing; otherwise 202 with the job (`GET /api/v1/jobs/{id}`). Importing the
    same file again changes nothing."""
    return await _import(request, session, settings, principal, course_id, dry_run)


@router.post(
    "/admin/imports/users",
    status_code=status.HTTP_202_ACCEPTED,
    response_model=ImportJobRead,
    responses={
        200: {"model": ImportPlan, "description": "The plan of a dry run"},
        **problem_responses(413, 415),
    },
    openapi_extra=BODY_DOC,
)
@idempotent(streamed=True)
async def import_users(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    principal: AdminPrincipal,
    dry_run: DryRun = False,
) -> Response:
    """Import accounts without a course (admins): the roster's columns, `role` being
    student or instructor; new accounts are invited."""
    return await _import(request, session, settings, principal, None, dry_run)


@router.get("/jobs/{job_id}", response_model=ImportJobRead)
async def get_job(
    job_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> ImportJobRead:
    """An import's state, rows processed of the total, and how many rows were created,
    updated, left unchanged or refused (its creator and admins; 404 for others)."""
    job = await service.get_visible_job(session, principal=principal, job_id=job_id)
    return ImportJobRead.model_validate(job)


@router.get(
    "/jobs/{job_id}/errors.csv",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {}}}},
)
async def job_errors(
    job_id: uuid.UUID, request: Request, session: SessionDep, principal: CurrentPrincipal
) -> StreamingResponse:
    """The refused lines (`line`, `email`, `reason`), as CSV (its creator and admins)."""
    job = await service.get_visible_job(session, principal=principal, job_id=job_id)
    sessionmaker = request.app.state.sessionmaker

    async def lines() -> AsyncIterator[bytes]:
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\r\n")
        writer.writerow(["line", "email", "reason"])
        async with sessionmaker() as reading:
            async for error in repository.errors_of(reading, job.id):
                writer.writerow([error.line, error.email or "", error.reason])
                if buffer.tell() > 64 * 1024:
                    yield buffer.getvalue().encode()
                    buffer.seek(0)
                    buffer.truncate()
        yield buffer.getvalue().encode()

    return StreamingResponse(
        lines(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="import-{job.id}-errors.csv"'},
    )


routers = [router]
