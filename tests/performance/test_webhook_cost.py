"""What outbound webhooks cost the hot paths: nothing at all when no enabled endpoint
wants the events a request publishes, and one insert (the outbox row carrying the
request's messages) when one does, however many events the request publishes. Counted
on the load benchmark's scenarios (``test_query_counts``)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.factories.accounts import Account, AccountFactory
from tests.factories.webhooks import register_endpoint
from tests.performance.counting import counting_statements
from tests.performance.test_query_counts import BUDGETS, build, data_statements, measure

# The events each scenario publishes (each costs one insert in all when wanted).
EVENTS = {
    "catalogue": 0,
    "course_detail": 0,
    "course_lessons": 0,
    "my_courses": 0,
    "lesson_content": 0,
    "progress_update": 0,
    "lesson_complete": 1,  # lesson.completed
    "lesson_complete_last": 2,  # lesson.completed, enrollment.completed
    "quiz_start": 0,
    "quiz_save": 0,
    "quiz_submit": 3,  # quiz.attempt.graded, lesson.completed, quiz.attempt.submitted
    "login": 0,
}


async def counts_with(
    app: Any,
    client: httpx.AsyncClient,
    make_account: AccountFactory,
    admin: Account,
    endpoint: dict[str, Any] | None,
) -> dict[str, int]:
    if endpoint is not None:
        await register_endpoint(client, admin, "https://hooks.example.com/lms", **endpoint)
    instructor = await make_account("instructor")
    student = await make_account("student")
    return await measure(app, client, student, await build(client, instructor, student, size=1))


async def test_no_endpoint_costs_no_statement(
    app: Any, client: httpx.AsyncClient, make_account: AccountFactory, admin: Account
) -> None:
    counts = await counts_with(app, client, make_account, admin, None)
    over = {name: counts[name] for name, budget in BUDGETS.items() if counts[name] > budget}
    assert not over, counts


async def test_endpoints_that_want_other_events_cost_no_statement(
    app: Any, client: httpx.AsyncClient, make_account: AccountFactory, admin: Account
) -> None:
    baseline = await counts_with(app, client, make_account, admin, None)
    for filter_ in (
        {"event_types": ["user.deactivated.v1", "payment.refunded.v1"]},
        {"enabled": False},
    ):
        assert await counts_with(app, client, make_account, admin, filter_) == baseline


async def test_a_subscribed_endpoint_costs_one_insert_per_request(
    app: Any, client: httpx.AsyncClient, make_account: AccountFactory, admin: Account
) -> None:
    baseline = await counts_with(app, client, make_account, admin, None)
    subscribed = await counts_with(app, client, make_account, admin, {})
    assert subscribed == {name: baseline[name] + min(EVENTS[name], 1) for name in baseline}


async def test_the_extra_statement_is_the_outbox_insert(
    app: Any, client: httpx.AsyncClient, make_account: AccountFactory, admin: Account
) -> None:
    await register_endpoint(
        client, admin, "https://hooks.example.com/lms", event_types=["user.deactivated.v1"]
    )
    user = await make_account("student")
    with counting_statements(app) as statements:
        response = await client.patch(
            f"/users/{user.id}", headers=admin.headers, json={"is_active": False}
        )
    assert response.status_code == 200
    inserts = [s for s in statements.executed if s.lstrip().upper().startswith("INSERT")]
    # A deactivation is audited (its entry is the audit log's insert, webhooks or not);
    # the webhook's cost is the one outbox row beside it.
    assert [s for s in inserts if "audit_entries" not in s] == [
        s for s in inserts if "outbox_messages" in s
    ]
    assert len([s for s in inserts if "outbox_messages" in s]) == 1
    assert data_statements(statements) >= 1
