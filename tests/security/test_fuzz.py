"""Property-based fuzzing of every operation in the app's own OpenAPI schema.

schemathesis generates requests from the schema (valid ones and, in its coverage phase,
boundary and invalid ones) and checks every response: never a 5xx, the status code and
the content type documented for the operation, and the body valid against the
documented schema. It runs once per role, signed in as a student (enrolled, with an
attempt, a submission, a certificate, a file, a payment and a subscription), as the
instructor who owns the course and as an admin. Path parameters point at those real
objects about half of the time, so the fuzzer reaches past the 404s.

It runs in the PostgreSQL pass (marked ``integration``); each role's run is bounded by
``MAX_EXAMPLES`` per operation."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.python import asgi as schemathesis_asgi
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from lms.core.config import Settings, get_settings
from lms.core.deps import get_settings_dep
from lms.main import create_app
from lms.modules.payments.router import get_provider_registry
from tests.conftest import reset_state
from tests.factories.accounts import account_factory
from tests.factories.webhooks import failed_delivery, register_endpoint
from tests.payments.conftest import PaymentsWorld
from tests.security.world import World, build_world

pytestmark = pytest.mark.integration

MAX_EXAMPLES = int(os.environ.get("LMS_FUZZ_MAX_EXAMPLES", "8"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]

# Filled by the fixtures; read by the hook below and by the summary in conftest.
REAL_IDS: dict[str, list[str]] = {}
STATS: Counter[str] = Counter()


@schemathesis.hook
def flatmap_path_parameters(
    _context: schemathesis.HookContext, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half the time, point every path parameter at a real object of the same kind."""
    if not path_parameters:
        return st.just(path_parameters)
    known = {name: REAL_IDS[name] for name in path_parameters if REAL_IDS.get(name)}
    if not known:
        return st.just(path_parameters)
    real = st.fixed_dictionaries(
        {name: st.sampled_from(values) for name, values in known.items()}
    ).map(lambda chosen: {**path_parameters, **chosen})
    return st.one_of(st.just(path_parameters), real)


def _ids(world: World) -> dict[str, list[str]]:
    return {
        "course_id": [world.course["id"], world.draft_course["id"], world.paid_course["id"]],
        "slug": [world.course["slug"], world.draft_course["slug"]],
        "lesson_id": [lesson["id"] for lesson in world.lessons] + [world.assignment["id"]],
        "quiz_id": [world.quiz["id"]],
        "question_id": [question["id"] for question in world.questions],
        "attempt_id": [world.attempt["id"]],
        "enrollment_id": [world.enrollment["id"], world.completed_enrollment["id"]],
        "submission_id": [world.submission["id"]],
        "certificate_id": [world.certificate["id"]],
        "certificate_number": [world.certificate["certificate_number"]],
        "file_id": [world.file["id"]],
        "payment_id": [world.payment["id"]],
        "subscription_id": [world.subscription["id"]],
        # A spare account: an admin's fuzzed PATCH may deactivate or demote it.
        "user_id": [str(world.spare.id)],
    }


# Built at import so that schemathesis can make one test per operation; it connects to
# nothing until the first request.
FUZZ_APP = create_app(
    get_settings().model_copy(update={"database_pool_size": 4, "database_max_overflow": 4}),
    run_jobs=False,
)


def _schema(phases: list[str]) -> Any:
    loaded = schemathesis.openapi.from_dict(FUZZ_APP.openapi())
    loaded.app = FUZZ_APP
    loaded.location = "/openapi.json"
    loaded.config.phases.update(phases=phases)
    return loaded


# The admin gets past every role check, so the admin's run also has the coverage phase:
# boundary values and invalid inputs for every parameter and body field, and methods
# an operation does not accept. Every role gets the random (fuzzing) phase.
deep = _schema(["examples", "coverage", "fuzzing"])
wide = _schema(["fuzzing"])


@pytest.fixture(scope="module")
async def world(settings: Settings) -> AsyncIterator[World]:
    """One school for the whole module (built on an app of its own, on this event
    loop); emptied afterwards."""
    setup_app = create_app(settings, run_jobs=False)
    payments = PaymentsWorld(setup_app, settings)
    transport = httpx.ASGITransport(app=setup_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver/api/v1") as http:
        make_account = account_factory(setup_app, http, settings)
        built = await build_world(http, make_account, payments.settings)
        # A webhook endpoint (disabled: the world's events stay out of the outbox) and a
        # failed delivery of it, for the admin's webhook operations.
        endpoint = await register_endpoint(
            http, built.caller("admin"), "https://hooks.example.com/fuzz", enabled=False
        )
        async with setup_app.state.sessionmaker() as session:
            delivery_id = await failed_delivery(session, endpoint["id"])
    FUZZ_APP.dependency_overrides[get_settings_dep] = lambda: payments.settings
    FUZZ_APP.dependency_overrides[get_provider_registry] = lambda: payments.registry
    REAL_IDS.clear()
    REAL_IDS.update(_ids(built))
    REAL_IDS["endpoint_id"] = [endpoint["id"]]
    REAL_IDS["delivery_id"] = [str(delivery_id)]
    yield built
    # The fuzzed app's lifespan (and so its pool) ends with the fuzzing, not the process.
    schemathesis_asgi.shutdown_lifespans()
    FUZZ_APP.dependency_overrides.clear()
    await reset_state(setup_app)
    await setup_app.state.store.close()
    await setup_app.state.engine.dispose()


FUZZ_SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


def _call(case: Any, world: World, role: str) -> None:
    response = case.call_and_validate(headers=world.headers(role), checks=CHECKS)
    STATS["cases"] += 1
    STATS[f"role:{role}"] += 1
    STATS[f"status:{response.status_code}"] += 1
    STATS[f"op:{case.operation.label}"] = 1


@deep.parametrize()
@FUZZ_SETTINGS
def test_every_operation_as_admin(case: Any, world: World) -> None:
    _call(case, world, "admin")


@wide.parametrize()
@FUZZ_SETTINGS
def test_every_operation_as_course_owner(case: Any, world: World) -> None:
    _call(case, world, "owner")


@wide.parametrize()
@FUZZ_SETTINGS
def test_every_operation_as_student(case: Any, world: World) -> None:
    _call(case, world, "student")
