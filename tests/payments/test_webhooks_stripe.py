"""Stripe webhooks: verified on the raw body, recorded once, applied in order-proof ways."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from lms.modules.payments import repository
from tests.conftest import Mailbox
from tests.factories.accounts import Account
from tests.factories.enrollments import my_courses
from tests.factories.payments import (
    count_events,
    now,
    send_stripe,
    start_payment,
    stored_payment,
    stripe_intent,
    stripe_pays,
)
from tests.payments import fakes
from tests.payments.conftest import PaymentsWorld


async def test_succeeded_payment_enrolls_once_and_sends_the_email(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
    drain: Any,
    mailbox: Mailbox,
) -> None:
    payment = await start_payment(client, student, paid_course)
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))

    first = await send_stripe(client, event)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "received": True,
        "duplicate": False,
        "status": "processed",
        "payment_id": payment["id"],
    }
    enrolled = await my_courses(client, student)
    assert [e["course_id"] for e in enrolled] == [paid_course["id"]]
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "succeeded" and stored.processed_at is not None
    assert stored.enrollment_id is not None and str(stored.enrollment_id) == enrolled[0]["id"]

    replay = await send_stripe(client, event)  # Stripe delivers at least once
    assert replay.status_code == 200
    assert replay.json()["duplicate"] is True
    assert await count_events(db) == 1
    await drain()
    subjects = [m["Subject"] for m in mailbox.messages(student.email)]
    assert subjects == [f"You are enrolled in {paid_course['title']}"]


async def test_bad_signature_stale_timestamp_or_no_header_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course)
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))

    wrong_secret = await send_stripe(client, event, secret="whsec_someone_else")
    stale = await send_stripe(client, event, at=now() - 301)
    unsigned = await client.post("/payments/webhooks/stripe", content=json.dumps(event))
    body = json.dumps(event)
    tampered = await client.post(
        "/payments/webhooks/stripe",
        content=body.replace('"amount_received": 150000', '"amount_received": 1'),
        headers={"Stripe-Signature": fakes.stripe_signature(body)},
    )
    for response in (wrong_secret, stale, unsigned, tampered):
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_signature"
    assert await count_events(db) == 0
    assert (await stored_payment(db, payment["id"])).status == "pending"
    assert await my_courses(client, student) == []

    recent = await send_stripe(client, event, at=now() - 120)  # inside the 5-minute window
    assert recent.status_code == 200


async def test_webhook_secret_missing_is_503(
    client: httpx.AsyncClient, world: PaymentsWorld, db: Any
) -> None:
    world.reconfigure(stripe_webhook_secret=None)
    event = fakes.stripe_event("payment_intent.succeeded", {"id": "pi_x"})
    response = await send_stripe(client, event)
    assert response.status_code == 503
    assert "LMS_STRIPE_WEBHOOK_SECRET" in response.json()["detail"]
    assert await count_events(db) == 0


async def test_a_late_failure_after_success_changes_nothing(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course)
    earlier = now() - 60
    failed = fakes.stripe_event(
        "payment_intent.payment_failed",
        stripe_intent(payment, status="requires_payment_method"),
        created=earlier,
    )
    succeeded = fakes.stripe_event(
        "payment_intent.succeeded", stripe_intent(payment), created=earlier + 30
    )

    assert (await send_stripe(client, succeeded)).status_code == 200
    late = await send_stripe(client, failed)
    assert late.status_code == 200
    assert late.json()["status"] == "processed"
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "succeeded" and stored.failure_reason is None
    assert len(await my_courses(client, student)) == 1
    assert await count_events(db) == 2


async def test_a_failed_attempt_then_a_success_enrolls(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course)
    declined = fakes.stripe_event(
        "payment_intent.payment_failed", stripe_intent(payment, status="requires_payment_method")
    )
    assert (await send_stripe(client, declined)).status_code == 200
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "failed" and stored.failure_reason == "Your card was declined."
    assert await my_courses(client, student) == []

    assert (await stripe_pays(client, payment)).status_code == 200
    assert (await stored_payment(db, payment["id"])).status == "succeeded"
    assert len(await my_courses(client, student)) == 1


async def test_unknown_event_types_are_stored_and_ignored(
    client: httpx.AsyncClient, world: PaymentsWorld, db: Any
) -> None:
    event = fakes.stripe_event("customer.created", {"id": "cus_123", "object": "customer"})
    response = await send_stripe(client, event)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await count_events(db) == 1
    unmatched = fakes.stripe_event(
        "payment_intent.succeeded",
        {"id": "pi_not_ours", "amount": 100, "amount_received": 100, "currency": "egp"},
    )
    answer = await send_stripe(client, unmatched)
    assert answer.status_code == 200 and answer.json()["status"] == "ignored"


async def test_wrong_amount_or_currency_fails_the_payment_without_enrolling(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course)
    cheap = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment, amount=100))
    response = await send_stripe(client, cheap)
    assert response.status_code == 200
    assert response.json()["status"] == "rejected"
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "failed"
    assert stored.failure_reason is not None and "amount mismatch" in stored.failure_reason
    assert await my_courses(client, student) == []

    other = await start_payment(client, other_student, paid_course)
    dollars = fakes.stripe_event("payment_intent.succeeded", stripe_intent(other, currency="usd"))
    assert (await send_stripe(client, dollars)).json()["status"] == "rejected"
    assert (await stored_payment(db, other["id"])).status == "failed"
    assert await my_courses(client, other_student) == []


async def test_two_identical_webhooks_racing_make_one_payment_and_one_enrollment(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
    drain: Any,
    mailbox: Mailbox,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    payment = await start_payment(client, student, paid_course)
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))
    claim = repository.claim_event
    claimed = asyncio.Event()

    async def claim_and_linger(session: Any, **kwargs: Any) -> Any:
        # Whoever claims first keeps its transaction open until the other request has
        # reached its own insert, so the two really overlap.
        row = await claim(session, **kwargs)
        if row is not None and not claimed.is_set():
            claimed.set()
            await asyncio.sleep(0.3)
        return row

    monkeypatch.setattr(repository, "claim_event", claim_and_linger)

    first, second = await asyncio.gather(send_stripe(client, event), send_stripe(client, event))

    assert {first.status_code, second.status_code} == {200}
    assert sorted([first.json()["duplicate"], second.json()["duplicate"]]) == [False, True]
    assert await count_events(db) == 1
    assert len(await my_courses(client, student)) == 1
    await drain()
    assert len(mailbox.messages(student.email)) == 1
