"""Endpoints: registering, changing and removing them, rotating their secret, pinging
them, and their deliveries (listed, redelivered by hand). Admins only (the router)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events, jobs
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import Conflict, NotFound, RuleViolation
from lms.core.security import encrypt_secret
from lms.modules.webhooks import outbound, repository, signing
from lms.modules.webhooks.catalogue import PING_TYPE, subscribable_names
from lms.modules.webhooks.events import WebhookEndpointChanged
from lms.modules.webhooks.models import WebhookDelivery, WebhookEndpoint
from lms.modules.webhooks.schemas import (
    DeliveryRead,
    EndpointCreate,
    EndpointRead,
    EndpointUpdate,
    EndpointWithSecret,
    PingRead,
)
from lms.modules.webhooks.service.delivery import RETRY_TASK
from lms.modules.webhooks.service.subscriptions import (
    SEND_TASK,
    forget_subscriptions,
    message_of,
)


class EndpointNotFound(NotFound):
    code = "webhook_endpoint_not_found"
    detail = "No webhook endpoint with this id."


class DeliveryNotFound(NotFound):
    code = "webhook_delivery_not_found"
    detail = "No webhook delivery with this id."


class InvalidEndpointUrl(RuleViolation):
    code = "invalid_webhook_url"


class UnknownEventType(RuleViolation):
    code = "unknown_event_type"


def _read(endpoint: WebhookEndpoint) -> EndpointRead:
    rotation_ends = endpoint.previous_secret_expires_at
    if rotation_ends is not None and rotation_ends <= utcnow():
        rotation_ends = None
    return EndpointRead(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types or []),
        enabled=endpoint.enabled,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        secret_rotation_ends_at=rotation_ends,
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _audited(endpoint: WebhookEndpoint) -> dict[str, Any]:
    """What an endpoint change tells: its host only (a URL's path or query may carry a
    credential, as some receivers' do), its event types and whether it is enabled."""
    return {
        "host": urlsplit(endpoint.url).hostname,
        "event_types": list(endpoint.event_types or []),
        "enabled": endpoint.enabled,
    }


async def _tell(
    session: AsyncSession,
    endpoint_id: uuid.UUID,
    change: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    await events.publish(
        session,
        WebhookEndpointChanged(endpoint_id=endpoint_id, change=change, before=before, after=after),
    )


def delivery_read(delivery: WebhookDelivery) -> DeliveryRead:
    return DeliveryRead.model_validate(delivery, from_attributes=True)


def _check_url(url: str, settings: Settings) -> str:
    url = url.strip()
    problem = outbound.url_problem(url, production=settings.environment == "production")
    if problem:
        raise InvalidEndpointUrl(problem)
    return url


def _check_types(event_types: list[str]) -> list[str]:
    known = set(subscribable_names())
    unknown = sorted(set(event_types) - known)
    if unknown:
        raise UnknownEventType(
            f"Unknown event types: {', '.join(unknown)} (see GET /api/v1/webhooks/event-types)."
        )
    return sorted(set(event_types), key=event_types.index)


async def _endpoint_or_raise(
    session: AsyncSession, endpoint_id: uuid.UUID, *, lock: bool = False
) -> WebhookEndpoint:
    endpoint = await repository.get_endpoint(session, endpoint_id, lock=lock)
    if endpoint is None:
        raise EndpointNotFound()
    return endpoint


async def create_endpoint(
    session: AsyncSession, *, settings: Settings, principal: Principal, data: EndpointCreate
) -> EndpointWithSecret:
    """Register an endpoint; its signing secret is in the answer, and only there."""
    secret = signing.new_secret()
    endpoint = WebhookEndpoint(
        url=_check_url(data.url, settings),
        description=data.description,
        event_types=_check_types(data.event_types),
        enabled=data.enabled,
        secret_encrypted=encrypt_secret(settings, secret),
        created_by_id=principal.id,
    )
    session.add(endpoint)
    await session.flush()
    forget_subscriptions(session)
    await _tell(session, endpoint.id, "created", None, _audited(endpoint))
    return EndpointWithSecret(**_read(endpoint).model_dump(), secret=secret)


async def list_endpoints(
    session: AsyncSession, *, offset: int, limit: int
) -> tuple[list[EndpointRead], int]:
    endpoints, total = await repository.list_endpoints(session, offset=offset, limit=limit)
    return [_read(endpoint) for endpoint in endpoints], total


async def get_endpoint(session: AsyncSession, *, endpoint_id: uuid.UUID) -> EndpointRead:
    return _read(await _endpoint_or_raise(session, endpoint_id))


async def update_endpoint(
    session: AsyncSession, *, settings: Settings, endpoint_id: uuid.UUID, data: EndpointUpdate
) -> EndpointRead:
    """Change an endpoint. Enabling it again clears its failure record."""
    endpoint = await _endpoint_or_raise(session, endpoint_id, lock=True)
    before = _audited(endpoint)
    changes = data.model_dump(exclude_unset=True)
    if changes.get("url") is not None:
        endpoint.url = _check_url(changes["url"], settings)
    if "description" in changes:
        endpoint.description = changes["description"]
    if changes.get("event_types") is not None:
        endpoint.event_types = _check_types(changes["event_types"])
    if changes.get("enabled") is not None:
        if changes["enabled"] and not endpoint.enabled:
            endpoint.failing_since = None
            endpoint.disabled_reason = None
        endpoint.enabled = changes["enabled"]
        if not endpoint.enabled and endpoint.disabled_reason is None:
            endpoint.disabled_reason = "disabled by an admin"
    endpoint.updated_at = utcnow()
    await session.flush()
    forget_subscriptions(session)
    await _tell(session, endpoint.id, "updated", before, _audited(endpoint))
    return _read(endpoint)


async def delete_endpoint(session: AsyncSession, *, endpoint_id: uuid.UUID) -> None:
    """Remove an endpoint and its deliveries."""
    endpoint = await _endpoint_or_raise(session, endpoint_id, lock=True)
    before = _audited(endpoint)
    await session.delete(endpoint)
    await session.flush()
    forget_subscriptions(session)
    await _tell(session, endpoint_id, "deleted", before, None)


async def rotate_secret(
    session: AsyncSession, *, settings: Settings, endpoint_id: uuid.UUID
) -> EndpointWithSecret:
    """A new signing secret; the old one keeps signing beside it for
    ``LMS_WEBHOOK_SECRET_OVERLAP_HOURS``."""
    endpoint = await _endpoint_or_raise(session, endpoint_id, lock=True)
    secret = signing.new_secret()
    endpoint.previous_secret_encrypted = endpoint.secret_encrypted
    endpoint.previous_secret_expires_at = utcnow() + timedelta(
        hours=settings.webhook_secret_overlap_hours
    )
    endpoint.secret_encrypted = encrypt_secret(settings, secret)
    endpoint.updated_at = utcnow()
    await session.flush()
    await _tell(session, endpoint.id, "secret_rotated", None, None)
    return EndpointWithSecret(**_read(endpoint).model_dump(), secret=secret)


async def ping(session: AsyncSession, *, endpoint_id: uuid.UUID) -> PingRead:
    """Queue a ``webhook.ping.v1`` message to this endpoint (enabled or not); its
    delivery shows in the endpoint's deliveries."""
    endpoint = await _endpoint_or_raise(session, endpoint_id)
    message = message_of(PING_TYPE, {"endpoint_id": str(endpoint.id)})
    item = {"message": message, "endpoint_id": str(endpoint.id)}
    await jobs.enqueue(session, SEND_TASK, {"items": [item]})
    return PingRead(message_id=message["id"])


async def list_deliveries(
    session: AsyncSession, *, endpoint_id: uuid.UUID, offset: int, limit: int
) -> tuple[list[DeliveryRead], int]:
    await _endpoint_or_raise(session, endpoint_id)
    deliveries, total = await repository.list_deliveries(
        session, endpoint_id=endpoint_id, offset=offset, limit=limit
    )
    return [delivery_read(delivery) for delivery in deliveries], total


async def redeliver(session: AsyncSession, *, delivery_id: uuid.UUID) -> DeliveryRead:
    """Send a delivery again, with the same message id (a failed one, typically, once
    its endpoint answers again)."""
    delivery = await repository.get_delivery(session, delivery_id)
    if delivery is None:
        raise DeliveryNotFound()
    endpoint = await _endpoint_or_raise(session, delivery.endpoint_id)
    if not endpoint.enabled:
        raise Conflict(
            "The endpoint is disabled; enable it before redelivering.", code="endpoint_disabled"
        )
    if delivery.status == "pending":
        raise Conflict("This delivery is still being retried.", code="delivery_pending")
    delivery.status = "pending"
    delivery.next_attempt_at = utcnow()
    await session.flush()
    await jobs.enqueue(session, RETRY_TASK, {"delivery_id": str(delivery.id)})
    return delivery_read(delivery)
