"""A course's team (`/courses/{course_id}/staff`) and cohorts (`/courses/{course_id}/cohorts`)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, status

from lms.core.conditional import require_current
from lms.core.deps import CurrentPrincipal, SessionDep
from lms.core.errors import problem_responses
from lms.core.idempotency import idempotent
from lms.core.routing import TransactionalRoute, creates
from lms.modules.courses import service
from lms.modules.courses.schemas.team import (
    CohortCreate,
    CohortRead,
    CohortUpdate,
    OwnershipTransfer,
    StaffCreate,
    StaffRead,
    StaffUpdate,
)

team_router = APIRouter(
    prefix="/courses/{course_id}",
    tags=["course team"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


@team_router.get("/staff", response_model=list[StaffRead])
async def list_staff(
    course_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[StaffRead]:
    """The course's team: its owner first, then co-instructors and assistants (the
    owner and admins)."""
    return await service.list_staff(session, principal=principal, course_id=course_id)


@team_router.post("/staff", response_model=StaffRead, status_code=status.HTTP_201_CREATED)
@creates("/courses/{course_id}/staff")
@idempotent
async def add_staff(
    course_id: uuid.UUID, data: StaffCreate, session: SessionDep, principal: CurrentPrincipal
) -> StaffRead:
    """Add an active account, by `user_id` or `email`, as `co_instructor` (edits the
    content, grades, reads the roster and analytics) or `assistant` (grades and reads
    the roster of its `cohort_ids`, or of the whole course without any). The owner and
    admins only; a student of the course cannot join its team (409)."""
    return await service.add_staff(session, principal=principal, course_id=course_id, data=data)


@team_router.patch("/staff/{user_id}", response_model=StaffRead)
async def update_staff(
    course_id: uuid.UUID,
    user_id: uuid.UUID,
    data: StaffUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> StaffRead:
    """Change a member's role or an assistant's cohorts (the owner and admins)."""
    return await service.update_staff(
        session, principal=principal, course_id=course_id, user_id=user_id, data=data
    )


@team_router.delete("/staff/{user_id}", status_code=status.HTTP_204_NO_CONTENT)
async def remove_staff(
    course_id: uuid.UUID, user_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> None:
    """Take a member off the team (the owner and admins)."""
    await service.remove_staff(session, principal=principal, course_id=course_id, user_id=user_id)


@team_router.post("/staff/transfer-ownership", response_model=list[StaffRead])
async def transfer_ownership(
    course_id: uuid.UUID,
    data: OwnershipTransfer,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> list[StaffRead]:
    """Make a co-instructor the course's owner (the owner and admins); the former owner
    stays on the team as a co-instructor. Answers the team as it now is."""
    return await service.transfer_ownership(
        session, principal=principal, course_id=course_id, data=data
    )


@team_router.get("/cohorts", response_model=list[CohortRead])
async def list_cohorts(
    course_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> list[CohortRead]:
    """The course's cohorts by name, with how many students each holds (its team and
    admins)."""
    found = await service.list_cohorts(session, principal=principal, course_id=course_id)
    return [CohortRead.model_validate(cohort) for cohort in found]


@team_router.post("/cohorts", response_model=CohortRead, status_code=status.HTTP_201_CREATED)
@creates("/courses/{course_id}/cohorts/{id}")
async def create_cohort(
    course_id: uuid.UUID, data: CohortCreate, session: SessionDep, principal: CurrentPrincipal
) -> CohortRead:
    """A new cohort (the owner, co-instructors and admins): a name unique in the course,
    optional `starts_on`/`ends_on` and `capacity` (enrollment past it is refused with
    409 `cohort_full`)."""
    cohort = await service.create_cohort(
        session, principal=principal, course_id=course_id, data=data
    )
    return CohortRead.model_validate(cohort)


@team_router.get("/cohorts/{cohort_id}", response_model=CohortRead)
async def get_cohort(
    course_id: uuid.UUID, cohort_id: uuid.UUID, session: SessionDep, principal: CurrentPrincipal
) -> CohortRead:
    """One cohort (the course's team and admins)."""
    cohort = await service.get_cohort(
        session, principal=principal, course_id=course_id, cohort_id=cohort_id
    )
    return CohortRead.model_validate(cohort)


async def _require_current_cohort(
    request: Request,
    session: SessionDep,
    principal: CurrentPrincipal,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID,
) -> None:
    """412 unless ``If-Match`` names the cohort as its GET shows it to the caller."""

    async def current() -> CohortRead:
        cohort = await service.get_cohort(
            session, principal=principal, course_id=course_id, cohort_id=cohort_id
        )
        return CohortRead.model_validate(cohort)

    await require_current(request, current)


@team_router.patch("/cohorts/{cohort_id}", response_model=CohortRead)
async def update_cohort(
    request: Request,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID,
    data: CohortUpdate,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> CohortRead:
    """Rename a cohort or change its dates or capacity (not below its students: 409).
    With `If-Match` (the cohort's `ETag`) a change made since you read it is 412
    `precondition_failed`."""
    await _require_current_cohort(request, session, principal, course_id, cohort_id)
    cohort = await service.update_cohort(
        session, principal=principal, course_id=course_id, cohort_id=cohort_id, data=data
    )
    return CohortRead.model_validate(cohort)


@team_router.delete("/cohorts/{cohort_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_cohort(
    request: Request,
    course_id: uuid.UUID,
    cohort_id: uuid.UUID,
    session: SessionDep,
    principal: CurrentPrincipal,
) -> None:
    """Delete an empty cohort (409 `cohort_not_empty` while it has students). Honours
    `If-Match` like `PATCH`."""
    await _require_current_cohort(request, session, principal, course_id, cohort_id)
    await service.delete_cohort(
        session, principal=principal, course_id=course_id, cohort_id=cohort_id
    )
