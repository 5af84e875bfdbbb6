"""Admin operations: the outbox of emails and jobs, and retrying what failed for good."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from lms.core.deps import AdminPrincipal, SessionDep
from lms.core.errors import problem_responses
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute
from lms.modules.admin import service
from lms.modules.admin.schemas import OutboxMessageRead, OutboxStatus

router = APIRouter(
    prefix="/admin", tags=["admin"], route_class=TransactionalRoute, responses=problem_responses()
)


@router.get("/outbox", response_model=Page[OutboxMessageRead])
async def list_outbox(
    _admin: AdminPrincipal,
    session: SessionDep,
    pagination: Pagination,
    status: OutboxStatus | None = None,
) -> Page[OutboxMessageRead]:
    """Outbox messages (emails and other jobs), newest first; `status=failed` lists the
    ones that ran out of attempts (admin)."""
    items, total = await service.list_outbox(
        session, status=status, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of(items, total, pagination)


@router.post("/outbox/{message_id}/retry", response_model=OutboxMessageRead)
async def retry_outbox_message(
    message_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> OutboxMessageRead:
    """Queue a failed message again with a fresh budget of attempts (admin)."""
    return await service.retry_outbox_message(session, message_id=message_id)


routers = [router]
