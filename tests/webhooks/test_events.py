"""Every event type of the catalogue, produced by its real action through the API and
received by a real endpoint: signed, and its body valid against the JSON Schema that
``GET /webhooks/event-types`` publishes. Nothing in any message is a secret or a
correct answer."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import jsonschema
from sqlalchemy import select

from lms.modules.enrollments.models import Enrollment
from tests.factories.accounts import Account
from tests.factories.api import ok
from tests.factories.courses import add_lesson
from tests.factories.enrollments import complete_lesson
from tests.factories.payments import pay_with_stripe, send_stripe, subscribe
from tests.factories.quizzes import make_classroom, right_answers, start_attempt, submit_attempt
from tests.factories.webhooks import Receiver, register_endpoint
from tests.payments import fakes
from tests.payments.conftest import PaymentsWorld, make_course, paid_course, world  # noqa: F401
from tests.payments.test_subscriptions import stripe_id_of, subscription_object
from tests.webhooks.test_endpoints import ISSUE_TYPES


async def published_schemas(client: httpx.AsyncClient, admin: Account) -> dict[str, Any]:
    body = ok(await client.get("/webhooks/event-types", headers=admin.headers))
    return {item["name"]: item["schema"] for item in body["items"]}


async def test_every_event_type_comes_from_its_action_and_matches_its_schema(
    client: httpx.AsyncClient,
    admin: Account,
    instructor: Account,
    student: Account,
    receiver: Receiver,
    deliver_all: Any,
    world: PaymentsWorld,  # noqa: F811
    paid_course: dict[str, Any],  # noqa: F811
    db: Any,
) -> None:
    endpoint = await register_endpoint(client, admin, receiver.url)

    # Accounts: an admin creates one, then deactivates it.
    person = ok(
        await client.post(
            "/users",
            headers=admin.headers,
            json={"email": "hooked@example.com", "password": "s3cret-pass", "full_name": "H"},
        ),
        201,
    )
    ok(
        await client.patch(
            f"/users/{person['id']}", headers=admin.headers, json={"is_active": False}
        )
    )

    # Learning: a published course with a quiz lesson, a text lesson and an assignment.
    room = await make_classroom(client, instructor, student)
    assignment = await add_lesson(client, instructor, room.course_id, lesson_type="assignment")
    sheet = await start_attempt(client, student, room.quiz_id)
    ok(await submit_attempt(client, student, room.quiz_id, sheet["id"], right_answers(room)))
    handed_in = ok(
        await client.post(
            f"/lessons/{assignment['id']}/submissions",
            headers=student.headers,
            json={"text": "My essay"},
        )
    )
    ok(
        await client.post(
            f"/submissions/{handed_in['id']}/grade", headers=instructor.headers, json={"score": 90}
        )
    )
    await complete_lesson(client, student, room.enrollment_id, room.other_lesson_id)
    await deliver_all()  # the certificate's job issues it
    [certificate] = ok(await client.get("/certificates/my-certificates", headers=student.headers))[
        "items"
    ]
    ok(
        await client.post(
            f"/certificates/{certificate['id']}/revoke",
            headers=instructor.headers,
            json={"reason": "Issued by mistake"},
        )
    )
    ok(await client.post(f"/courses/{room.course_id}/unpublish", headers=instructor.headers))

    # Money: a Stripe payment (which enrolls), its refund (which drops), a subscription
    # the provider activates, then cancelled by its holder.
    payment = await pay_with_stripe(client, student, paid_course)
    ok(await client.post(f"/payments/{payment['id']}/refund", headers=admin.headers))
    subscription = await subscribe(client, student)
    sub_id = await stripe_id_of(db, subscription)
    activated = fakes.stripe_event(
        "customer.subscription.updated",
        subscription_object(sub_id, subscription, status="active"),
    )
    assert (await send_stripe(client, activated)).json()["status"] == "processed"
    ok(
        await client.post(
            f"/payments/subscriptions/{subscription['id']}/cancel", headers=student.headers
        )
    )
    await deliver_all()

    schemas = await published_schemas(client, admin)
    heard = {got.message["type"] for got in receiver.received}
    assert set(ISSUE_TYPES) <= heard, sorted(set(ISSUE_TYPES) - heard)
    for got in receiver.received:
        assert got.verifies_with(endpoint["secret"])
        message = got.message
        assert message["id"] == got.id
        jsonschema.validate(
            message, schemas[message["type"]], format_checker=jsonschema.FormatChecker()
        )
        for word in ("password", "correct_answer", "secret", "hash"):
            assert word not in got.body.decode()

    def data(event_type: str) -> list[dict[str, Any]]:
        return [got.message["data"] for got in receiver.of_type(event_type)]

    assert {"user_id": person["id"], "email": "hooked@example.com"}.items() <= data(
        "user.deactivated.v1"
    )[0].items()
    [published] = [d for d in data("course.published.v1") if d["course_id"] == room.course_id]
    assert published["instructor_id"] == str(instructor.id)
    [graded] = data("quiz.attempt.graded.v1")
    assert graded["attempt_id"] == sheet["id"] and graded["passed"] is True
    [submitted] = data("quiz.attempt.submitted.v1")
    assert submitted["status"] == "graded"
    completed = [d["lesson_id"] for d in data("lesson.completed.v1")]
    assert sorted(completed) == sorted([room.lesson_id, room.other_lesson_id, assignment["id"]])
    [issued] = data("certificate.issued.v1")
    assert issued["certificate_id"] == certificate["id"]
    assert data("certificate.revoked.v1")[0]["reason"] == "Issued by mistake"
    assert data("payment.succeeded.v1")[0]["amount"] == paid_course["price"]
    assert data("payment.refunded.v1")[0]["payment_id"] == payment["id"]
    [dropped] = data("enrollment.dropped.v1")
    dropped_schema = schemas["enrollment.dropped.v1"]["properties"]["data"]
    assert {"enrollment_id", "student_id", "course_id"} <= set(dropped_schema["required"])
    assert dropped["course_id"] == paid_course["id"]
    assert dropped["student_id"] == str(student.id)
    seat = await db.scalar(
        select(Enrollment).where(Enrollment.id == uuid.UUID(dropped["enrollment_id"]))
    )
    assert seat is not None and seat.status == "dropped"
    assert (str(seat.student_id), str(seat.course_id)) == (str(student.id), paid_course["id"])
    statuses = [d["status"] for d in data("subscription.updated.v1")]
    assert "active" in statuses
    # Delivery is not ordered (a batch is sent side by side): the latest by its timestamp.
    latest = max(
        receiver.of_type("subscription.updated.v1"), key=lambda got: got.message["timestamp"]
    )
    assert latest.message["data"]["cancel_at_period_end"] is True
