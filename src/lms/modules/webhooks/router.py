"""Outbound webhooks, for admins: the event catalogue, endpoints, their deliveries."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Response, status

from lms.core.deps import AdminPrincipal, SessionDep, SettingsDep
from lms.core.errors import problem_responses
from lms.core.idempotency import idempotent
from lms.core.pagination import Page, Pagination, page_of
from lms.core.routing import TransactionalRoute
from lms.modules.webhooks import service
from lms.modules.webhooks.catalogue import event_types
from lms.modules.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    EventTypeList,
    EventTypeRead,
    PingRead,
)

router = APIRouter(
    prefix="/webhooks",
    tags=["webhooks"],
    route_class=TransactionalRoute,
    responses=problem_responses(),
)


@router.get("/event-types", response_model=EventTypeList, response_model_by_alias=True)
async def list_event_types(_admin: AdminPrincipal) -> EventTypeList:
    """Every event type an endpoint may receive, with the JSON Schema of its message
    body `{id, type, timestamp, data}` (admin)."""
    return EventTypeList(
        items=[
            EventTypeRead(name=t.name, description=t.description, json_schema=t.schema)
            for t in event_types().values()
        ]
    )


@router.post("/endpoints", response_model=EndpointWithSecret, status_code=status.HTTP_201_CREATED)
@idempotent(encrypted=True)
async def create_endpoint(
    data: EndpointCreate,
    admin: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    response: Response,
) -> EndpointWithSecret:
    """Register an endpoint (admin). The signing secret (`whsec_…`) is in this answer
    and never shown again; `event_types` empty means every type."""
    created = await service.create_endpoint(session, settings=settings, principal=admin, data=data)
    response.headers["Location"] = (
        f"{settings.public_base_url}/api/v1/webhooks/endpoints/{created.id}"
    )
    return created


@router.get("/endpoints", response_model=Page[EndpointRead])
async def list_endpoints(
    _admin: AdminPrincipal, session: SessionDep, pagination: Pagination
) -> Page[EndpointRead]:
    """Registered endpoints, oldest first (admin)."""
    items, total = await service.list_endpoints(
        session, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of(items, total, pagination)


@router.get("/endpoints/{endpoint_id}", response_model=EndpointRead)
async def get_endpoint(
    endpoint_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> EndpointRead:
    """One endpoint (admin)."""
    return await service.get_endpoint(session, endpoint_id=endpoint_id)


@router.patch("/endpoints/{endpoint_id}", response_model=EndpointRead)
async def update_endpoint(
    endpoint_id: uuid.UUID,
    data: EndpointUpdate,
    _admin: AdminPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> EndpointRead:
    """Change an endpoint's URL, description, event types or `enabled` (admin).
    Enabling a disabled endpoint clears its failure record."""
    return await service.update_endpoint(
        session, settings=settings, endpoint_id=endpoint_id, data=data
    )


@router.delete("/endpoints/{endpoint_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_endpoint(
    endpoint_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> Response:
    """Remove an endpoint and its deliveries (admin)."""
    await service.delete_endpoint(session, endpoint_id=endpoint_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/endpoints/{endpoint_id}/rotate-secret", response_model=EndpointWithSecret)
async def rotate_secret(
    endpoint_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep, settings: SettingsDep
) -> EndpointWithSecret:
    """A new signing secret, shown once (admin). The old one keeps signing beside it
    (two signatures) for `LMS_WEBHOOK_SECRET_OVERLAP_HOURS`."""
    return await service.rotate_secret(session, settings=settings, endpoint_id=endpoint_id)


@router.post(
    "/endpoints/{endpoint_id}/ping", response_model=PingRead, status_code=status.HTTP_202_ACCEPTED
)
async def ping_endpoint(
    endpoint_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> PingRead:
    """Send a `webhook.ping.v1` test message (admin); its delivery shows in the
    endpoint's deliveries."""
    return await service.ping(session, endpoint_id=endpoint_id)


@router.get("/endpoints/{endpoint_id}/deliveries", response_model=Page[DeliveryRead])
async def list_deliveries(
    endpoint_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep, pagination: Pagination
) -> Page[DeliveryRead]:
    """The endpoint's deliveries, newest first: status, HTTP code, duration, attempts
    and the start of the response (admin)."""
    items, total = await service.list_deliveries(
        session, endpoint_id=endpoint_id, offset=pagination.offset, limit=pagination.page_size
    )
    return page_of(items, total, pagination)


@router.post(
    "/deliveries/{delivery_id}/redeliver",
    response_model=DeliveryRead,
    status_code=status.HTTP_202_ACCEPTED,
)
async def redeliver(
    delivery_id: uuid.UUID, _admin: AdminPrincipal, session: SessionDep
) -> DeliveryRead:
    """Send a delivery again with the same message id (admin)."""
    return await service.redeliver(session, delivery_id=delivery_id)


routers = [router]
