"""Plans through Stripe Subscriptions: starting, keeping status and periods current from
events (in any order), access to paid courses while active, renewals, cancelling."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx

from lms.modules.payments.models import Subscription
from tests.factories.accounts import Account
from tests.factories.enrollments import try_enroll
from tests.factories.payments import count_events, send_stripe, subscribe
from tests.payments import fakes
from tests.payments.conftest import PaymentsWorld


async def stripe_id_of(db: Any, subscription: dict[str, Any]) -> str:
    db.expire_all()
    row = await db.get(Subscription, uuid.UUID(subscription["id"]))
    assert row is not None and row.stripe_subscription_id
    return str(row.stripe_subscription_id)


def subscription_object(
    stripe_id: str, subscription: dict[str, Any], *, status: str, period_days: int = 30
) -> dict[str, Any]:
    obj = fakes.FakeProviders.stripe_subscription(
        {"id": stripe_id, "customer": "cus_test", "metadata[subscription_id]": subscription["id"]},
        status=status,
    )
    start = int(time.time()) - 60
    item = obj["items"]["data"][0]
    item["current_period_start"], item["current_period_end"] = start, start + period_days * 86400
    obj["latest_invoice"] = "in_test"
    return obj


async def test_create_subscription_calls_stripe_with_idempotency_keys(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, db: Any
) -> None:
    subscription = await subscribe(client, student)

    assert subscription["status"] == "incomplete" and subscription["is_active"] is False
    assert subscription["plan_name"] == "monthly"
    assert subscription["plan_price_id"] == "price_monthly"
    assert subscription["client_secret"].startswith("pi_sub_secret_")
    assert subscription["current_period_end"] is not None
    [customer] = world.fake.calls("/v1/customers")
    assert customer.headers["idempotency-key"] == f"customer-{student.id}"
    assert customer.body["email"] == student.email
    [created] = world.fake.calls("/v1/subscriptions")
    assert created.headers["idempotency-key"] == f"subscription-{subscription['id']}"
    assert created.body["items[0][price]"] == "price_monthly"
    assert created.body["payment_behavior"] == "default_incomplete"
    assert created.body["expand[0]"] == "latest_invoice.confirmation_secret"
    assert created.body["metadata[subscription_id]"] == subscription["id"]
    assert (await stripe_id_of(db, subscription)).startswith("sub_")


async def test_refusals_when_starting_a_subscription(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    instructor: Account,
) -> None:
    unknown = await client.post(
        "/payments/create-subscription", headers=student.headers, json={"plan": "lifetime"}
    )
    assert unknown.status_code == 422 and unknown.json()["code"] == "unknown_plan"
    assert "monthly" in unknown.json()["detail"]
    staff = await client.post(
        "/payments/create-subscription", headers=instructor.headers, json={"plan": "monthly"}
    )
    assert staff.status_code == 403
    anonymous = await client.post("/payments/create-subscription", json={"plan": "monthly"})
    assert anonymous.status_code == 401
    world.reconfigure(stripe_secret_key=None)
    unconfigured = await client.post(
        "/payments/create-subscription", headers=student.headers, json={"plan": "monthly"}
    )
    assert unconfigured.status_code == 503
    assert unconfigured.json()["code"] == "provider_not_configured"
    assert world.fake.requests == []


async def test_events_keep_the_subscription_current_and_open_paid_courses(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    make_course: Any,
    db: Any,
) -> None:
    assert (await try_enroll(client, student, paid_course["id"])).status_code == 402
    subscription = await subscribe(client, student)
    sub_id = await stripe_id_of(db, subscription)
    t0 = int(time.time()) - 100
    created = fakes.stripe_event(
        "customer.subscription.created",
        subscription_object(sub_id, subscription, status="incomplete"),
        created=t0,
    )
    activated = fakes.stripe_event(
        "customer.subscription.updated",
        subscription_object(sub_id, subscription, status="active"),
        created=t0 + 5,
    )

    assert (await send_stripe(client, activated)).json()["status"] == "processed"
    late = await send_stripe(client, created)  # arrives after the newer state
    assert late.status_code == 200 and late.json()["status"] == "ignored"

    mine = (await client.get("/payments/my-subscriptions", headers=student.headers)).json()
    assert mine["total"] == 1
    [current] = mine["items"]
    assert current["status"] == "active" and current["is_active"] is True
    assert current["current_period_start"] is not None
    assert (await try_enroll(client, student, paid_course["id"])).status_code == 201

    second = await client.post(
        "/payments/create-subscription", headers=student.headers, json={"plan": "yearly"}
    )
    assert second.status_code == 409 and second.json()["code"] == "subscription_exists"
    another = await make_course()
    covered = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": another["id"], "provider": "stripe"},
    )
    assert covered.status_code == 409
    assert covered.json()["code"] == "covered_by_subscription"


async def test_deleted_subscription_ends_access_and_stays_ended(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    make_course: Any,
    db: Any,
) -> None:
    first_course, second_course = await make_course(), await make_course()
    subscription = await subscribe(client, student)
    sub_id = await stripe_id_of(db, subscription)
    t0 = int(time.time()) - 100
    active = subscription_object(sub_id, subscription, status="active")
    await send_stripe(
        client, fakes.stripe_event("customer.subscription.updated", active, created=t0)
    )
    assert (await try_enroll(client, student, first_course["id"])).status_code == 201

    ended = subscription_object(sub_id, subscription, status="canceled")
    ended["canceled_at"] = t0 + 10
    deleted = await send_stripe(
        client, fakes.stripe_event("customer.subscription.deleted", ended, created=t0 + 10)
    )
    assert deleted.json()["status"] == "processed"
    stale_update = await send_stripe(
        client, fakes.stripe_event("customer.subscription.updated", active, created=t0 + 20)
    )
    assert stale_update.json()["status"] == "ignored"

    [row] = (await client.get("/payments/my-subscriptions", headers=student.headers)).json()[
        "items"
    ]
    assert row["status"] == "canceled" and row["canceled_at"] is not None
    assert row["is_active"] is False
    assert (await try_enroll(client, student, second_course["id"])).status_code == 402


async def test_paid_invoices_become_recurring_payments_once(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    db: Any,
) -> None:
    subscription = await subscribe(client, student)
    sub_id = await stripe_id_of(db, subscription)
    invoice = {
        "id": "in_1PqRenewal",
        "object": "invoice",
        "amount_due": 49900,
        "amount_paid": 49900,
        "currency": "egp",
        "customer": "cus_test",
        "status": "paid",
        "parent": {
            "type": "subscription_details",
            "subscription_details": {"subscription": sub_id, "metadata": {}},
        },
        "payments": {
            "object": "list",
            "data": [{"payment": {"type": "payment_intent", "payment_intent": "pi_renewal"}}],
        },
    }
    paid = await send_stripe(client, fakes.stripe_event("invoice.paid", invoice))
    twin = await send_stripe(client, fakes.stripe_event("invoice.payment_succeeded", invoice))
    assert paid.json()["status"] == "processed" and twin.json()["status"] == "processed"
    assert await count_events(db) == 2

    payments = (await client.get("/payments/my-payments", headers=student.headers)).json()
    assert payments["total"] == 1
    [renewal] = payments["items"]
    assert renewal["payment_type"] == "recurring" and renewal["status"] == "succeeded"
    assert renewal["amount"] == "499.00" and renewal["subscription_id"] == subscription["id"]
    assert renewal["course_id"] is None and renewal["plan_name"] == "monthly"

    summary = (await client.get("/payments/revenue/summary", headers=admin.headers)).json()
    assert summary["by_course"] == [
        {
            "course_id": None,
            "course_title": None,
            "currency": "EGP",
            "payments": 1,
            "gross": "499.00",
            "refunded": "0.00",
            "net": "499.00",
        }
    ]


async def test_cancel_at_period_end_by_the_owner_only(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    admin: Account,
    db: Any,
) -> None:
    subscription = await subscribe(client, student)
    path = f"/payments/subscriptions/{subscription['id']}/cancel"

    for outsider in (other_student, admin):
        assert (await client.post(path, headers=outsider.headers)).status_code == 404
    assert (await client.post(path)).status_code == 401
    missing = await client.post(
        f"/payments/subscriptions/{uuid.uuid4()}/cancel", headers=student.headers
    )
    assert missing.status_code == 404

    canceled = await client.post(path, headers=student.headers)
    assert canceled.status_code == 200, canceled.text
    body = canceled.json()
    assert body["cancel_at_period_end"] is True and body["canceled_at"] is not None
    sub_id = await stripe_id_of(db, subscription)
    [update] = world.fake.calls(f"/v1/subscriptions/{sub_id}")
    assert update.body == {"cancel_at_period_end": "true"}
    assert update.headers["idempotency-key"] == f"cancel-{subscription['id']}"

    again = await client.post(path, headers=student.headers)
    assert again.status_code == 409 and again.json()["code"] == "already_canceling"


async def test_renewals_refund_through_their_payment_intent_or_not_at_all(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    db: Any,
) -> None:
    subscription = await subscribe(client, student)
    sub_id = await stripe_id_of(db, subscription)

    def invoice(invoice_id: str, payments: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": invoice_id,
            "object": "invoice",
            "amount_paid": 49900,
            "currency": "egp",
            "customer": "cus_test",
            "parent": {"subscription_details": {"subscription": sub_id}},
            "payments": {"object": "list", "data": payments},
        }

    with_intent = invoice(
        "in_1", [{"payment": {"type": "payment_intent", "payment_intent": "pi_renewal"}}]
    )
    without = invoice("in_2", [])
    await send_stripe(client, fakes.stripe_event("invoice.paid", with_intent))
    await send_stripe(client, fakes.stripe_event("invoice.paid", without))
    items = (await client.get("/payments/my-payments", headers=student.headers)).json()["items"]
    by_order = {p["provider_order_id"]: p["id"] for p in items}

    refunded = await client.post(f"/payments/{by_order['in_1']}/refund", headers=admin.headers)
    assert refunded.status_code == 200 and refunded.json()["status"] == "refunded"
    assert world.fake.calls("/v1/refunds")[0].body["payment_intent"] == "pi_renewal"
    unknown = await client.post(f"/payments/{by_order['in_2']}/refund", headers=admin.headers)
    assert unknown.status_code == 409 and unknown.json()["code"] == "not_refundable"
    assert len(world.fake.calls("/v1/refunds")) == 1
