"""Admin operations: the outbox of emails and jobs, and retrying what failed for good."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from lms.core.deps import AdminPrincipal, SessionDep
from lms.core.errors import problem_responses
from lms.core.pagination import CursorPage, Pagination, cursor_links
from lms.core.routing import TransactionalRoute
from lms.modules.admin import service
from lms.modules.admin.schemas import OutboxMessageRead, OutboxStatus

router = APIRouter(
    prefix="/admin", tags=["admin"], route_class=TransactionalRoute, responses=problem_responses()
)


@router.get("/outbox", response_model=CursorPage[OutboxMessageRead])
async def list_outbox(
    request: Request,
    response: Response,
    _admin: AdminPrincipal,
    session: SessionDep,
    pagination: Pagination,
    status: OutboxStatus | None = None,
    cursor: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Continue after the page that gave this `next_cursor` (the list "
            "only grows: a cursor never repeats or skips a message; `page` is ignored)",
        ),
    ] = None,
) -> CursorPage[OutboxMessageRead]:
    """Outbox messages (emails and other jobs), newest first; `status=failed` lists the
    ones that ran out of attempts (admin). Page by `cursor` (`next_cursor`, the `Link`
    header's `next`), or by `page`."""
    items, total, following = await service.list_outbox(
        session,
        status=status,
        offset=pagination.offset,
        limit=pagination.page_size,
        cursor=cursor,
    )
    if cursor is not None:
        response.headers["link"] = cursor_links(request.url, following)
    return CursorPage(
        items=items,
        next_cursor=following,
        total=total,
        page=pagination.page,
        page_size=pagination.page_size,
    )


@router.post("/outbox/{message_id}/retry", response_model=OutboxMessageRead)
async def retry_outbox_message(
    message_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> OutboxMessageRead:
    """Queue a failed message again with a fresh budget of attempts (admin)."""
    return await service.retry_outbox_message(session, message_id=message_id)


routers = [router]
