"""Delivering messages: the outbox job that fans a message out to the endpoints that
want it, and the job that retries one delivery.

A message's deliveries are written and sent inside the outbox job's transaction: if
the worker dies mid-way nothing of it commits, and the outbox delivers the message
again with the same ``webhook-id`` (at least once; receivers dedupe by it). A failed
delivery is retried by its own outbox job after a delay from
``LMS_WEBHOOK_RETRY_DELAYS_SECONDS`` (with jitter); after the last one it is failed.
An endpoint whose deliveries have all failed for ``LMS_WEBHOOK_DISABLE_AFTER_HOURS`` is
disabled and the admins are emailed."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import jobs
from lms.core.config import Settings, get_settings
from lms.core.db import utcnow
from lms.core.metrics import (
    OUTBOUND_ATTEMPTS,
    OUTBOUND_DURATION,
    OUTBOUND_ENDPOINTS_DISABLED,
    OUTBOUND_PENDING,
)
from lms.core.security import decrypt_secret
from lms.modules import emails, users
from lms.modules.webhooks import outbound, repository, signing
from lms.modules.webhooks.models import WebhookDelivery, WebhookEndpoint
from lms.modules.webhooks.service.subscriptions import EVERY_TYPE, SEND_TASK, forget_subscriptions

log = logging.getLogger("lms.webhooks")

RETRY_TASK = "webhooks.retry"
# A send job takes up to this many due rows (one transaction's messages each) at once,
# and sends at most this many requests side by side.
SEND_BATCH = 200
SEND_CONCURRENCY = 16


def wants(endpoint: WebhookEndpoint, event_type: str) -> bool:
    return (
        not endpoint.event_types
        or event_type in endpoint.event_types
        or (EVERY_TYPE in endpoint.event_types)
    )


def signing_secrets(endpoint: WebhookEndpoint, settings: Settings) -> list[str]:
    """The secrets that sign a message now: the current one, and the previous one while
    its overlap lasts."""
    found = [decrypt_secret(settings, endpoint.secret_encrypted)]
    expires = endpoint.previous_secret_expires_at
    if endpoint.previous_secret_encrypted and expires is not None and expires > utcnow():
        found.append(decrypt_secret(settings, endpoint.previous_secret_encrypted))
    return [secret for secret in found if secret]


def body_of(message: dict[str, Any]) -> bytes:
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()


def _retry_delay(settings: Settings, attempts: int) -> float | None:
    """Seconds before the retry that follows attempt number ``attempts`` (None: no
    retry left)."""
    delays = settings.webhook_retry_delays_seconds
    if attempts > len(delays):
        return None
    return float(delays[attempts - 1]) * random.uniform(0.8, 1.2)


async def attempt(
    session: AsyncSession,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    settings: Settings,
) -> None:
    """Send the delivery once and record what happened (a retry is queued in this
    transaction when one is left; the endpoint may be disabled)."""
    body = body_of(delivery.payload)
    headers = signing.headers(
        signing_secrets(endpoint, settings), delivery.message_id, int(time.time()), body
    )
    outcome = await outbound.send(endpoint.url, headers, body, settings)
    await record(session, delivery, endpoint, outcome, settings)


async def record(
    session: AsyncSession,
    delivery: WebhookDelivery,
    endpoint: WebhookEndpoint,
    outcome: outbound.Outcome,
    settings: Settings,
) -> None:
    now = utcnow()
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = outcome.status_code
    delivery.response_excerpt = outcome.excerpt
    delivery.error = outcome.error[:1000] if outcome.error else None
    delivery.duration_ms = outcome.duration_ms
    OUTBOUND_DURATION.observe(outcome.duration_ms / 1000)
    if outcome.ok:
        OUTBOUND_ATTEMPTS.labels("delivered").inc()
        delivery.status = "succeeded"
        delivery.next_attempt_at = None
        if endpoint.failing_since is not None:
            endpoint.failing_since = None
        return
    log.info(
        "webhook delivery failed",
        extra={
            "delivery_id": str(delivery.id),
            "endpoint_id": str(endpoint.id),
            "error": delivery.error,
        },
    )
    if endpoint.failing_since is None:
        endpoint.failing_since = now
    delay = _retry_delay(settings, delivery.attempts)
    if delay is None:
        OUTBOUND_ATTEMPTS.labels("failed").inc()
        delivery.status = "failed"
        delivery.next_attempt_at = None
    else:
        OUTBOUND_ATTEMPTS.labels("retrying").inc()
        delivery.status = "pending"
        delivery.next_attempt_at = now + timedelta(seconds=delay)
        await session.flush()
        await jobs.enqueue(
            session, RETRY_TASK, {"delivery_id": str(delivery.id)}, delay_seconds=delay
        )
    failing_for = now - endpoint.failing_since
    if endpoint.enabled and failing_for >= timedelta(hours=settings.webhook_disable_after_hours):
        await disable(session, endpoint, settings, reason=f"failing since {endpoint.failing_since}")


async def disable(
    session: AsyncSession, endpoint: WebhookEndpoint, settings: Settings, *, reason: str
) -> None:
    """Stop sending to a failing endpoint and tell every active admin."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:500]
    OUTBOUND_ENDPOINTS_DISABLED.inc()
    forget_subscriptions(session)
    log.warning(
        "webhook endpoint disabled", extra={"endpoint_id": str(endpoint.id), "reason": reason}
    )
    for admin in await users.get_active_admins(session):
        await emails.queue_email(
            session,
            to=admin.email,
            template="webhook_endpoint_disabled",
            context={
                "full_name": admin.full_name,
                "endpoint_url": endpoint.url,
                "endpoint_id": str(endpoint.id),
                "failing_since": (endpoint.failing_since or utcnow()).isoformat(),
                "reason": endpoint.disabled_reason,
            },
        )


@jobs.job(SEND_TASK)
async def _send_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Fan messages out to the enabled endpoints that want them (or to one endpoint,
    for a ping) and send them side by side. A row carries the messages of one
    transaction (``{"items": [{"message": ..., "endpoint_id"?: ...}]}``; a row of the
    earlier form is one item). The job takes the other due rows with it (up to
    ``SEND_BATCH``), so a backlog is sent in batches of one transaction each."""
    settings = get_settings()
    rows = [payload, *await jobs.take_due(session, SEND_TASK, limit=SEND_BATCH - 1)]
    batch = [item for row in rows for item in row.get("items", [row])]
    enabled: list[WebhookEndpoint] | None = None
    sends: list[tuple[dict[str, Any], WebhookEndpoint]] = []
    for item in batch:
        message: dict[str, Any] = item["message"]
        only = item.get("endpoint_id")
        if only is not None:
            endpoint = await repository.get_endpoint(session, uuid.UUID(only))
            sends += [(message, endpoint)] if endpoint is not None else []
            continue
        if enabled is None:
            enabled = await repository.enabled_endpoints(session)
        sends += [(message, endpoint) for endpoint in enabled if wants(endpoint, message["type"])]
    if not sends:
        return
    timestamp = int(time.time())
    signing_keys: dict[uuid.UUID, list[str]] = {}
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send_one(message: dict[str, Any], endpoint: WebhookEndpoint) -> outbound.Outcome:
        if endpoint.id not in signing_keys:
            signing_keys[endpoint.id] = signing_secrets(endpoint, settings)
        body = body_of(message)
        headers = signing.headers(signing_keys[endpoint.id], message["id"], timestamp, body)
        async with limit:
            return await outbound.send(endpoint.url, headers, body, settings)

    outcomes = await asyncio.gather(*(send_one(message, endpoint) for message, endpoint in sends))
    now = utcnow()
    deliveries = [
        WebhookDelivery(
            id=uuid.uuid4(),
            endpoint_id=endpoint.id,
            message_id=message["id"],
            event_type=message["type"],
            payload=message,
            status="pending",
            attempts=0,
            created_at=now,
        )
        for message, endpoint in sends
    ]
    session.add_all(deliveries)
    for delivery, (_message, endpoint), outcome in zip(deliveries, sends, outcomes, strict=True):
        await record(session, delivery, endpoint, outcome, settings)


@jobs.job(RETRY_TASK)
async def _retry_job(session: AsyncSession, payload: dict[str, Any]) -> None:
    settings = get_settings()
    delivery = await repository.get_delivery(session, uuid.UUID(payload["delivery_id"]), lock=True)
    if delivery is None or delivery.status != "pending":
        return  # delivered (or redelivered by hand) meanwhile
    endpoint = await repository.get_endpoint(session, delivery.endpoint_id)
    if endpoint is None:
        return
    if not endpoint.enabled:
        OUTBOUND_ATTEMPTS.labels("endpoint_disabled").inc()
        delivery.status = "failed"
        delivery.next_attempt_at = None
        delivery.error = "the endpoint is disabled"
        return
    await attempt(session, delivery, endpoint, settings)


async def read_backlog(session: AsyncSession) -> None:
    """The outbound backlog, for a scrape of ``/metrics``: messages committed and not
    sent yet (their send jobs), deliveries waiting for a retry (each has its retry job)."""
    counts = await repository.pending_jobs(session, (SEND_TASK, RETRY_TASK))
    OUTBOUND_PENDING.labels("unsent").set(counts[SEND_TASK])
    OUTBOUND_PENDING.labels("retrying").set(counts[RETRY_TASK])
