"""The audit log (admins; a course's editors for their course) and "act as" (admins)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from lms.core.deps import AdminPrincipal, CurrentPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.pagination import CursorPage, Pagination, cursor_links
from lms.core.routing import TransactionalRoute
from lms.modules.audit import act_as as acting
from lms.modules.audit import service
from lms.modules.audit.schemas import ActAsRequest, ActAsToken, AuditEntryRead, AuditFilters

router = APIRouter(tags=["audit"], route_class=TransactionalRoute, responses=problem_responses())

CursorQuery = Annotated[
    str | None,
    Query(
        max_length=200,
        description="Continue after the page that gave this `next_cursor` (the log only "
        "grows: a cursor never repeats or skips an entry; `page` is ignored)",
    ),
]
ActionQuery = Annotated[
    str | None, Query(max_length=100, description="A dotted action, e.g. `user.role_changed`")
]
FromQuery = Annotated[
    datetime | None, Query(alias="from", description="Entries at or after this time")
]
ToQuery = Annotated[datetime | None, Query(alias="to", description="Entries before this time")]


def _page(
    request: Request,
    response: Response,
    pagination: Pagination,
    cursor: str | None,
    found: tuple[list[AuditEntryRead], int, str | None],
) -> CursorPage[AuditEntryRead]:
    items, total, following = found
    if cursor is not None:
        response.headers["link"] = cursor_links(request.url, following)
    return CursorPage(
        items=items,
        next_cursor=following,
        total=total,
        page=pagination.page,
        page_size=pagination.page_size,
    )


@router.get("/admin/audit", response_model=CursorPage[AuditEntryRead])
async def list_audit_entries(
    request: Request,
    response: Response,
    _admin: AdminPrincipal,
    session: SessionDep,
    pagination: Pagination,
    actor_id: uuid.UUID | None = None,
    target_type: Annotated[str | None, Query(max_length=50)] = None,
    target_id: uuid.UUID | None = None,
    action: ActionQuery = None,
    occurred_from: FromQuery = None,
    occurred_to: ToQuery = None,
    cursor: CursorQuery = None,
) -> CursorPage[AuditEntryRead]:
    """The audit log, newest first (admin): filter by actor, target, action and time
    (`from` inclusive, `to` exclusive). Page by `cursor` (`next_cursor`, the `Link`
    header's `next`), or by `page`."""
    filters = AuditFilters(
        actor_id=actor_id,
        target_type=target_type,
        target_id=target_id,
        action=action,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
    found = await service.list_entries(
        session,
        filters=filters,
        offset=pagination.offset,
        limit=pagination.page_size,
        cursor=cursor,
    )
    return _page(request, response, pagination, cursor, found)


@router.get("/courses/{course_id}/audit", response_model=CursorPage[AuditEntryRead])
async def list_course_audit_entries(
    course_id: uuid.UUID,
    request: Request,
    response: Response,
    principal: CurrentPrincipal,
    session: SessionDep,
    pagination: Pagination,
    actor_id: uuid.UUID | None = None,
    action: ActionQuery = None,
    occurred_from: FromQuery = None,
    occurred_to: ToQuery = None,
    cursor: CursorQuery = None,
) -> CursorPage[AuditEntryRead]:
    """The audit log of one course (its grading, staff, enrollments by staff,
    publishing, refunds, certificates), newest first: for its owner, its co-instructors
    and admins. Assistants are refused (the log covers the whole course, beyond their
    cohorts)."""
    filters = AuditFilters(
        actor_id=actor_id, action=action, occurred_from=occurred_from, occurred_to=occurred_to
    )
    found = await service.list_course_entries(
        session,
        principal=principal,
        course_id=course_id,
        filters=filters,
        offset=pagination.offset,
        limit=pagination.page_size,
        cursor=cursor,
    )
    return _page(request, response, pagination, cursor, found)


@router.post("/admin/users/{user_id}/act-as", response_model=ActAsToken)
async def act_as(
    user_id: uuid.UUID,
    data: ActAsRequest,
    principal: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> ActAsToken:
    """Act as an active, non-admin account, for support (admin; a reason is required).
    The answer is a short-lived access token (`LMS_ACT_AS_MINUTES`, no refresh token)
    for that account carrying the RFC 8693 claim `act: {"sub": <admin id>}`. Every
    request made with it is in the audit log; it cannot change the account's password,
    second factor, email or payments (403 `act_as_forbidden`). Logging out with it ends
    it; so does deactivating the admin."""
    return await acting.start_act_as(
        session, settings=settings, principal=principal, user_id=user_id, reason=data.reason
    )


routers = [router]
