"""Prometheus metrics at ``GET /metrics``, safe for several worker processes.

With ``LMS_METRICS_ENABLED=true`` the application counts requests by route template,
method and status with their latency, the database pool's connections in use and
requests waiting for one, cache hits and misses, failed jobs, provider webhooks by
outcome, outbound webhook attempts by result with their duration, and certificate
renders; the outbox backlog, the age of its oldest pending message, its failed messages
and the outbound webhooks' backlog are read from the database when scraped. ``/metrics``
answers only clients in ``LMS_METRICS_ALLOWED_NETWORKS`` (loopback by default), and 404
to anyone else or when metrics are off.

Several processes (``lms serve --workers N``, ``lms worker``): each writes its samples
to files in ``PROMETHEUS_MULTIPROC_DIR`` and a scrape of any worker adds them up
(``prometheus_client.multiprocess``). ``lms serve`` sets that directory for its workers
(a fresh temporary one, unless the variable is set) and empties it at start-up; give
``lms worker`` the same directory to count its jobs too. The variable must be set before
this module is first imported, which the CLI does.
"""

from __future__ import annotations

import ipaddress
import os
import time
from collections.abc import Iterable
from typing import Any, Protocol

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client import multiprocess as prometheus_multiprocess
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# Where the public response cache names the route of an answer it served (no routing).
ROUTE_TEMPLATE_KEY = "lms.route_template"

REQUESTS = Counter(
    "lms_http_requests_total",
    "HTTP requests answered, by route template, method and status.",
    ["route", "method", "status"],
)
LATENCY = Histogram(
    "lms_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template and method.",
    ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
DB_POOL = Gauge(
    "lms_db_pool_connections",
    "Database pool: connections in use (state=in_use), requests waiting (state=waiting).",
    ["state"],
    multiprocess_mode="livesum",
)
CACHE = Counter(
    "lms_cache_requests_total",
    "Cache look-ups by cache (data: service reads; http: public answers) and result.",
    ["cache", "result"],
)
JOBS_FAILED = Counter(
    "lms_jobs_failed_total",
    "Outbox job deliveries that failed, by task; final=true when retries are exhausted.",
    ["task", "final"],
)
WEBHOOKS = Counter(
    "lms_webhook_deliveries_total",
    "Webhook deliveries by provider (or endpoint) and outcome.",
    ["provider", "outcome"],
)
OUTBOUND_ATTEMPTS = Counter(
    "lms_webhook_outbound_attempts_total",
    "Outbound webhook delivery attempts by result: delivered (a 2xx), retrying (failed, a "
    "retry is queued), failed (failed, no retry left), endpoint_disabled (not sent: the "
    "endpoint is disabled).",
    ["result"],
)
OUTBOUND_DURATION = Histogram(
    "lms_webhook_outbound_duration_seconds",
    "Time an outbound webhook delivery attempt took, from connecting to the answer read.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
OUTBOUND_ENDPOINTS_DISABLED = Counter(
    "lms_webhook_outbound_endpoints_disabled_total",
    "Webhook endpoints disabled after failing for LMS_WEBHOOK_DISABLE_AFTER_HOURS.",
)
OUTBOUND_PENDING = Gauge(
    "lms_webhook_outbound_pending",
    "Outbound webhook backlog (read when scraped): stage=unsent, outbox messages of "
    "committed events not sent yet (one per transaction); stage=retrying, deliveries "
    "waiting for their next attempt.",
    ["stage"],
    multiprocess_mode="mostrecent",
)
CERTIFICATE_RENDERS = Counter(
    "lms_certificate_renders_total", "Certificate PDFs rendered.", ["outcome"]
)
OUTBOX_PENDING = Gauge(
    "lms_outbox_pending_messages",
    "Outbox messages waiting for delivery (read from the database when scraped).",
    multiprocess_mode="mostrecent",
)
OUTBOX_OLDEST = Gauge(
    "lms_outbox_oldest_pending_age_seconds",
    "Age of the oldest pending outbox message, 0 when none (read when scraped).",
    multiprocess_mode="mostrecent",
)
OUTBOX_FAILED = Gauge(
    "lms_outbox_failed_messages",
    "Outbox messages that failed for good (read when scraped).",
    multiprocess_mode="mostrecent",
)


def prepare_multiprocess_directory(path: str) -> None:
    """Create or empty the samples' directory before the workers start."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))


def _pool_counts(engine: Any) -> tuple[int, int]:
    pool = engine.sync_engine.pool
    in_use = pool.checkedout() if hasattr(pool, "checkedout") else 0
    queue = getattr(pool, "_pool", None)
    waiting = len(getattr(queue, "_waiters", ()))
    return in_use, waiting


class ScrapeReader(Protocol):
    """A module's reading of its tables at each scrape (it sets its gauges)."""

    async def __call__(self, session: AsyncSession) -> None: ...


class MetricsMiddleware:
    """Counts every HTTP request under its route template (``unmatched`` when no route
    took it), and records the pool's state after it."""

    def __init__(self, app: ASGIApp, *, engine: Any) -> None:
        self.app = app
        self.engine = engine

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or scope.get(ROUTE_TEMPLATE_KEY) or "unmatched"
            method = scope["method"]
            REQUESTS.labels(template, method, str(status)).inc()
            LATENCY.labels(template, method).observe(time.perf_counter() - started)
            in_use, waiting = _pool_counts(self.engine)
            DB_POOL.labels("in_use").set(in_use)
            DB_POOL.labels("waiting").set(waiting)


def _allowed(client: str | None, networks: Iterable[str]) -> bool:
    if client is None:
        return False
    try:
        address = ipaddress.ip_address(client)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


async def _read_tables(request: Request) -> None:
    """The gauges read from the database: the outbox's, then the modules' (the
    ``ScrapeReader``s in ``app.state.metrics_readers``)."""
    readers: Iterable[ScrapeReader] = getattr(request.app.state, "metrics_readers", ())
    async with request.app.state.read_sessionmaker() as session:
        await _read_outbox(session)
        for read in readers:
            await read(session)


async def _read_outbox(session: AsyncSession) -> None:
    from lms.core.db import utcnow
    from lms.core.jobs import OutboxMessage

    pending, oldest = (
        await session.execute(
            select(func.count(), func.min(OutboxMessage.created_at)).where(
                OutboxMessage.status == "pending"
            )
        )
    ).one()
    failed = await session.scalar(select(func.count()).where(OutboxMessage.status == "failed"))
    OUTBOX_PENDING.set(pending or 0)
    if oldest is not None and oldest.tzinfo is None:
        from datetime import UTC

        oldest = oldest.replace(tzinfo=UTC)
    OUTBOX_OLDEST.set((utcnow() - oldest).total_seconds() if oldest is not None else 0)
    OUTBOX_FAILED.set(failed or 0)


async def metrics_endpoint(request: Request) -> Response:
    """The samples in Prometheus' text format, for the allowed networks only."""
    settings = request.app.state.settings
    client = request.client.host if request.client else None
    if not settings.metrics_enabled or not _allowed(client, settings.metrics_allowed_networks):
        from lms.core.errors import problem

        return problem(404, "Not Found", code="not_found")
    await _read_tables(request)
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        prometheus_multiprocess.MultiProcessCollector(registry)
        body = generate_latest(registry)
    else:
        from prometheus_client import REGISTRY

        body = generate_latest(REGISTRY)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
