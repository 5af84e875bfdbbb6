"""Application factory: settings, database, store, middleware, routers, lifespan."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio
from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from starlette.routing import Match
from starlette.types import Scope

from lms import __version__
from lms.core import health, i18n, jobs
from lms.core.cache import Cache, Store, create_store
from lms.core.config import Settings, get_settings
from lms.core.deps import security_schemes_openapi
from lms.core.engine import create_engine, create_read_engine
from lms.core.errors import install_error_handlers
from lms.core.httpcache import PublicResponseCache
from lms.core.inprocess_worker import InProcessWorker
from lms.core.methods import PathMethods, route_methods, route_path
from lms.core.metrics import MetricsMiddleware, metrics_endpoint
from lms.core.observability import (
    BodySizeLimitMiddleware,
    RequestContextMiddleware,
    configure_logging,
)
from lms.core.openapi import add_examples, add_response_headers
from lms.core.problem_codes import markdown_table, problem_codes, problem_type
from lms.core.routing import API_PREFIX
from lms.core.session import (
    create_autocommit_sessionmaker,
    create_read_sessionmaker,
    create_sessionmaker,
)
from lms.core.tracing import trace_statements
from lms.wiring import wire

log = logging.getLogger("lms.app")

# FastAPI's native telemetry, all of it, unless LMS_OPENTELEMETRY is set.
TELEMETRY_OFF: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
}


def module_routers() -> list[APIRouter]:
    """Every business module's routers, in matching order. Importing them also registers
    their jobs. Each module's surface lists its routers in ``routers``; the application
    includes each one directly under the API prefix, because every level of router
    nesting is matched again on every request. Matching tries the routes one by one, so
    the routers a learner's requests hit (courses, lessons, enrollments, quizzes) come
    first; no two routers share a path, so the order changes nothing else (the
    documentation keeps its group order through ``DOCUMENTATION_GROUPS``)."""
    from lms.modules import (
        admin,
        analytics,
        assignments,
        audit,
        auth,
        certificates,
        courses,
        enrollments,
        files,
        grades,
        imports,
        payments,
        privacy,
        quizzes,
        schedules,
        users,
        webhooks,
    )

    return [
        *courses.routers,
        *enrollments.routers,
        *quizzes.routers,
        *assignments.routers,
        *auth.routers,
        *users.routers,
        *admin.routers,
        *files.routers,
        *payments.routers,
        *certificates.routers,
        *analytics.routers,
        *webhooks.routers,
        *imports.routers,
        *privacy.routers,
        *audit.routers,
        *schedules.routers,
        *grades.routers,
    ]


# The groups (OpenAPI tags) of the documentation, in order, with what each holds.
DOCUMENTATION_GROUPS = {
    "health": "Liveness and readiness of the service and what it depends on.",
    "auth": "Registration, sign-in, tokens, second factors, password reset and email "
    "verification. Limited per client address (these are the anonymous endpoints).",
    "users": "Your profile, and accounts for admins.",
    "admin": "Operators' views: the outbox of background work and its retries.",
    "files": "Uploads to storage and their downloads.",
    "courses": "The catalogue and course management by instructors and admins.",
    "course team": "A course's staff (co-instructors, assistants), its cohorts, staff "
    "enrollment and the roster of its students.",
    "lessons": "A course's lessons, their material and their order.",
    "enrollments": "Enrolling, progress through lessons, reviews and course statistics.",
    "quizzes": "Quizzes and questions (authoring), and students' attempts (taking, grading).",
    "assignments": "Assignment submissions and their grading.",
    "grades": "A course's grading scheme, its gradebook (JSON or CSV), course-grade "
    "overrides with their history, and a student's own grades.",
    "payments": "Paying for courses and plans through Stripe, MyFatoorah and Paymob; "
    "refunds and revenue; the providers' signed webhooks.",
    "certificates": "Certificates of completion: issuing, PDF, public verification.",
    "analytics": "Figures for students, instructors and admins.",
    "imports": "Bulk roster and account imports from CSV, run as jobs.",
    "privacy": "Your data: a copy of it (export) and its erasure; their admin "
    "counterparts and the JSON Schemas of an export's files.",
    "webhooks": "Outbound webhooks: endpoints that receive the school's events, signed, "
    "and their deliveries (admins); the catalogue of event types.",
    "audit": "The audit log of what staff, admins and the system did (admins; a course's "
    'editors for their course), and audited "act as" sessions for support (admins).',
}

API_DESCRIPTION = """Courses, lessons, quizzes, certificates and payments for online schools.

Conventions: errors are RFC 9457 problem details whose `type` is
`urn:lms:problem:<code>` (the codes are listed below and in `x-problem-codes`); reads
carry a strong `ETag` (`If-None-Match` answers 304) and writes to courses, lessons,
quizzes and questions honour `If-Match` (412 `precondition_failed`); a `201` carries
`Location`; every list sends RFC 8288 `Link` headers; rate-limited operations send
`RateLimit-Policy` and `RateLimit`; operations that document an `Idempotency-Key`
header replay the first answer to a retry with the same key.

## Problem codes

"""


def _document_security(app: FastAPI) -> None:
    """Declare the bearer schemes in the OpenAPI components. The principal dependencies
    read the token themselves (``lms.core.deps.bearer_token``) rather than through the
    scheme dependencies FastAPI would document by itself; each operation that
    authenticates lists them through its route (``lms.core.routing.TransactionalRoute``).
    Also what client generators read: every problem code and an example for every
    request body and successful answer."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = generate()
        components = schema.setdefault("components", {})
        components.setdefault("securitySchemes", {}).update(security_schemes_openapi())
        from lms.modules import webhooks

        # What an endpoint receives (OpenAPI 3.1 ``webhooks``), one entry per event type.
        schema["webhooks"] = webhooks.openapi_webhooks()
        codes = problem_codes()
        schema["info"]["description"] += markdown_table()
        schema["info"]["x-problem-codes"] = [
            {"code": code, "type": problem_type(code), "meaning": meaning}
            for code, meaning in codes.items()
        ]
        add_examples(schema)
        add_response_headers(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _pass_over_unless_prefixed(router: APIRouter, prefix: str) -> None:
    """Matching a request tries the routes of every included router in turn, twice for
    the router that has the route. Every route of ``router`` starts with ``prefix``, so
    for a path that does not, its routes are not tried at all: a quiz request no longer
    walks the 28 course, lesson and enrollment routes before its own. (Once per router:
    the module routers are shared by every application built in one process.)"""
    if not prefix or "{" in prefix or getattr(router, "_passes_over_unprefixed", False):
        return
    match_routes = router.matches

    def matches(scope: Scope) -> tuple[Match, Scope]:
        if not route_path(scope).startswith(prefix):
            return Match.NONE, {}
        return match_routes(scope)

    setattr(router, "matches", matches)  # noqa: B010 (an instance attribute, on purpose)
    setattr(router, "_passes_over_unprefixed", True)  # noqa: B010


def load_modules() -> None:
    """Import every module (routers, services, job handlers) and subscribe them to each
    other's events (``lms.wiring``), without building an app: what the worker needs."""
    module_routers()
    wire()
    i18n.load_catalogues()  # read the .po files now, not in the first request


def _operation_id(route: APIRoute) -> str:
    tag = route.tags[0] if route.tags else "default"
    return f"{tag}-{route.name}"


def _dispatcher(
    settings: Settings, worker: InProcessWorker | None, store: Store
) -> jobs.Dispatcher | None:
    if settings.celery_broker_url:
        from lms.core.celery_app import API_COALESCE_SECONDS, celery_dispatcher, create_celery

        return celery_dispatcher(
            create_celery(settings),
            store if settings.redis_url else None,
            coalesce_seconds=API_COALESCE_SECONDS,
        )
    return worker.notify if worker else None


def _tune_gc() -> None:
    """For a server process, once it has started. Everything built so far (modules,
    routes, models, compiled schemas) lives as long as the process: frozen, the cyclic
    collector no longer walks it while requests wait. And a request allocates thousands
    of objects, so the youngest generation is collected every 20,000 allocations instead
    of 700. Together about 15 % less CPU per request (benchmarks/README.md, "Load")."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


def serve_app() -> FastAPI:
    """The application as ``lms serve`` runs it: ``create_app`` with the settings from
    the environment and the collector tuned for a long-lived server process."""
    return create_app(tune_gc=True)


def create_app(
    settings: Settings | None = None, *, run_jobs: bool = True, tune_gc: bool = False
) -> FastAPI:
    """Build the API. ``run_jobs=False`` leaves the outbox to be drained explicitly
    (tests); otherwise the in-process worker runs when no broker is configured.
    ``tune_gc`` is for a server process (``serve_app``), not for a test run that builds
    and drops many applications."""
    settings = settings or get_settings()
    configure_logging(settings.log_level, settings.log_json, trace_ids=settings.opentelemetry)
    routers = module_routers()
    wire()

    engine = create_engine(settings)
    if settings.opentelemetry:
        trace_statements(engine)
    store = create_store(settings)
    sessionmaker = create_sessionmaker(engine, store=store, settings=settings)
    worker = (
        InProcessWorker(sessionmaker, settings)
        if run_jobs and not settings.celery_broker_url
        else None
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        jobs.set_dispatcher(_dispatcher(settings, worker, store) if run_jobs else None)
        if tune_gc:
            _tune_gc()
        async with anyio.create_task_group() as tg:
            if worker is not None:
                tg.start_soon(worker.run)
            try:
                yield
            finally:
                tg.cancel_scope.cancel()
        jobs.set_dispatcher(None)
        await store.close()
        await engine.dispose()

    docs = settings.docs_enabled
    app = FastAPI(
        title="LMS API",
        version=__version__,
        description=API_DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs" if docs else None,
        redoc_url="/redoc" if docs else None,
        openapi_url="/openapi.json" if docs else None,
        generate_unique_id_function=_operation_id,
        swagger_ui_parameters={"persistAuthorization": True},
        openapi_tags=[
            {"name": name, "description": description}
            for name, description in DOCUMENTATION_GROUPS.items()
        ],
        telemetry=None if settings.opentelemetry else TELEMETRY_OFF,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.sessionmaker = sessionmaker
    app.state.read_sessionmaker = create_read_sessionmaker(engine, store=store)
    app.state.autocommit_sessionmaker = create_autocommit_sessionmaker(
        engine, store=store, settings=settings
    )
    app.state.read_engine = create_read_engine(engine)
    app.state.store = store
    app.state.cache = Cache(store, settings.cache_ttl_seconds)

    from lms.modules import users, webhooks

    app.state.principal_loader = users.load_principal
    # What /metrics reads from the modules' tables at each scrape.
    app.state.metrics_readers = (webhooks.read_backlog,)

    install_error_handlers(app)
    app.include_router(health.router, prefix=API_PREFIX)
    for router in routers:
        _pass_over_unless_prefixed(router, API_PREFIX + router.prefix)
        app.include_router(router, prefix=API_PREFIX)
    app.add_route("/metrics", metrics_endpoint, methods=["GET"], include_in_schema=False)
    _document_security(app)
    app.state.path_methods = PathMethods(
        route_methods(app.router.routes)
        + route_methods(
            [*health.router.routes, *(route for router in routers for route in router.routes)],
            prefix=API_PREFIX,
        )
    )

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_credentials="*" not in settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=[
                "X-Request-ID",
                "Retry-After",
                "RateLimit",
                "RateLimit-Policy",
                "ETag",
                "Location",
                "Link",
                "Idempotent-Replayed",
            ],
        )
    app.add_middleware(
        BodySizeLimitMiddleware,
        max_bytes=settings.max_body_kb * 1024,
        exempt_prefixes=(f"{API_PREFIX}/files/upload", f"{API_PREFIX}/admin/imports/"),
        # Roster files have their own limit (LMS_IMPORT_MAX_MB), checked while they stream.
        exempt_suffixes=("/roster/imports",),
    )
    # Outside the body limit: a cache hit answers a GET without reading any body.
    from lms.modules import courses

    app.add_middleware(
        PublicResponseCache,
        store=store,
        prefixes={
            f"{API_PREFIX}/courses": courses.CACHE_NAMESPACE,
            f"{API_PREFIX}/lessons": courses.CACHE_NAMESPACE,
        },
        ttl_seconds=settings.cache_ttl_seconds,
    )
    if settings.metrics_enabled:
        app.add_middleware(MetricsMiddleware, engine=engine)
    from lms.modules import audit

    app.add_middleware(
        RequestContextMiddleware,
        docs_paths=("/docs", "/redoc"),
        on_acting_request=audit.acting_request_recorder(sessionmaker),
    )
    return app
