"""Refunds (admin, through each provider) and the revenue summary, net of refunds."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.enrollments import my_courses
from tests.factories.payments import (
    pay_with_stripe,
    send_raw,
    send_stripe,
    start_payment,
    stored_payment,
    stripe_charge_refunded,
    stripe_pays,
)
from tests.payments import fakes
from tests.payments.conftest import CourseFactory, PaymentsWorld


async def test_full_refund_through_stripe_drops_the_enrollment_and_shows_in_revenue(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await pay_with_stripe(client, student, paid_course)
    assert [e["status"] for e in await my_courses(client, student)] == ["active"]

    refunded = await client.post(f"/payments/{payment['id']}/refund", headers=admin.headers)

    assert refunded.status_code == 200, refunded.text
    body = refunded.json()
    assert body["status"] == "refunded" and body["refunded_amount"] == "1500.00"
    assert body["refunded_at"] is not None
    [call] = world.fake.calls("/v1/refunds")
    assert call.body["payment_intent"] == payment["provider_order_id"]
    assert call.body["amount"] == "150000"
    assert call.headers["idempotency-key"] == f"refund-{payment['id']}-0"
    assert [e["status"] for e in await my_courses(client, student)] == ["dropped"]

    # Stripe then reports the refund: already recorded, nothing changes.
    echo = fakes.stripe_event("charge.refunded", stripe_charge_refunded(payment, refunded=150000))
    assert (await send_stripe(client, echo)).json()["status"] == "processed"
    assert (await stored_payment(db, payment["id"])).status == "refunded"

    summary = (await client.get("/payments/revenue/summary", headers=admin.headers)).json()
    assert summary["totals"] == [
        {
            "currency": "EGP",
            "payments": 1,
            "gross": "1500.00",
            "refunded": "1500.00",
            "net": "0.00",
        }
    ]
    again = await client.post(f"/payments/{payment['id']}/refund", headers=admin.headers)
    assert again.status_code == 409 and again.json()["code"] == "not_refundable"


async def test_partial_refunds_add_up_and_only_the_last_one_ends_the_payment(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    payment = await pay_with_stripe(client, student, paid_course)
    path = f"/payments/{payment['id']}/refund"

    part = await client.post(path, headers=admin.headers, json={"amount": "500.00"})
    assert part.status_code == 200
    assert part.json()["status"] == "succeeded" and part.json()["refunded_amount"] == "500.00"
    assert [e["status"] for e in await my_courses(client, student)] == ["active"]
    too_much = await client.post(path, headers=admin.headers, json={"amount": "1000.01"})
    assert too_much.status_code == 422 and too_much.json()["code"] == "refund_too_large"
    summary = (await client.get("/payments/revenue/summary", headers=admin.headers)).json()
    assert summary["totals"][0]["net"] == "1000.00"

    rest = await client.post(path, headers=admin.headers, json={"amount": "1000.00"})
    assert rest.json()["status"] == "refunded"
    keys = [c.headers["idempotency-key"] for c in world.fake.calls("/v1/refunds")]
    assert keys == [f"refund-{payment['id']}-0", f"refund-{payment['id']}-50000"]
    for bad in ({"amount": "0"}, {"amount": "-5"}, {"amount": "1.001"}, {"total": "5"}):
        assert (await client.post(path, headers=admin.headers, json=bad)).status_code == 422


async def test_refunds_go_through_myfatoorah_and_paymob_too(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    mf = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(invoice_id=int(mf["provider_order_id"]))
    assert (await send_raw(client, "myfatoorah", body, headers=headers)).status_code == 200
    pm = await start_payment(client, other_student, paid_course, "paymob")
    obj = fakes.paymob_transaction(
        order_id=int(pm["provider_order_id"]), merchant_order_id=pm["id"], amount_cents=150000
    )
    body, params = fakes.paymob_callback(obj)
    assert (await send_raw(client, "paymob", body, params=params)).status_code == 200

    mf_refund = await client.post(f"/payments/{mf['id']}/refund", headers=admin.headers)
    pm_refund = await client.post(f"/payments/{pm['id']}/refund", headers=admin.headers)

    assert mf_refund.json()["status"] == "refunded" and pm_refund.json()["status"] == "refunded"
    [make_refund] = world.fake.calls("/v2/MakeRefund")
    assert make_refund.body["Key"] == mf["provider_order_id"]
    assert make_refund.body["KeyType"] == "InvoiceId" and make_refund.body["Amount"] == 1500.0
    [void_refund] = world.fake.calls("/api/acceptance/void_refund/refund")
    assert void_refund.body == {"transaction_id": obj["id"], "amount_cents": 150000}
    assert void_refund.headers["authorization"] == f"Token {fakes.PAYMOB_SECRET}"


async def test_refund_can_keep_the_enrollment_when_configured(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    world.reconfigure(refund_revokes_enrollment=False)
    payment = await pay_with_stripe(client, student, paid_course)
    response = await client.post(f"/payments/{payment['id']}/refund", headers=admin.headers)
    assert response.json()["status"] == "refunded"
    assert [e["status"] for e in await my_courses(client, student)] == ["active"]


async def test_refund_refusals(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    instructor: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    pending = await start_payment(client, student, paid_course)
    path = f"/payments/{pending['id']}/refund"
    assert (await client.post(path)).status_code == 401
    for caller in (student, instructor):
        assert (await client.post(path, headers=caller.headers)).status_code == 403
    not_paid = await client.post(path, headers=admin.headers)
    assert not_paid.status_code == 409 and not_paid.json()["code"] == "not_refundable"
    unknown = await client.post(
        "/payments/00000000-0000-0000-0000-000000000000/refund", headers=admin.headers
    )
    assert unknown.status_code == 404
    assert world.fake.calls("/v1/refunds") == []

    await stripe_pays(client, pending)
    world.fake.fail["/v1/refunds"] = 400
    refused = await client.post(path, headers=admin.headers)
    assert refused.status_code == 502
    assert (await client.get(f"/payments/{pending['id']}", headers=admin.headers)).json()[
        "status"
    ] == "succeeded"


async def test_revenue_summary_by_provider_course_and_month(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    admin: Account,
    make_course: CourseFactory,
) -> None:
    course_a = await make_course(price="1500.00")
    course_b = await make_course(price="200.00", currency="USD")
    stripe_a = await pay_with_stripe(client, student, course_a)
    stripe_b = await pay_with_stripe(client, student, course_b)
    pm = await start_payment(client, other_student, course_a, "paymob")
    obj = fakes.paymob_transaction(
        order_id=int(pm["provider_order_id"]), merchant_order_id=pm["id"], amount_cents=150000
    )
    body, params = fakes.paymob_callback(obj)
    await send_raw(client, "paymob", body, params=params)
    await start_payment(client, other_student, course_b)  # pending: not revenue
    await client.post(
        f"/payments/{stripe_a['id']}/refund", headers=admin.headers, json={"amount": "100.00"}
    )

    response = await client.get("/payments/revenue/summary", headers=admin.headers)

    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["totals"] == [
        {
            "currency": "EGP",
            "payments": 2,
            "gross": "3000.00",
            "refunded": "100.00",
            "net": "2900.00",
        },
        {"currency": "USD", "payments": 1, "gross": "200.00", "refunded": "0.00", "net": "200.00"},
    ]
    by_provider = {(r["provider"], r["currency"]): r["net"] for r in summary["by_provider"]}
    assert by_provider == {
        ("paymob", "EGP"): "1500.00",
        ("stripe", "EGP"): "1400.00",
        ("stripe", "USD"): "200.00",
    }
    by_course = {r["course_id"]: (r["course_title"], r["net"]) for r in summary["by_course"]}
    assert by_course == {
        course_a["id"]: (course_a["title"], "2900.00"),
        course_b["id"]: (course_b["title"], "200.00"),
    }
    month = datetime.now(UTC).strftime("%Y-%m")
    assert {(r["month"], r["currency"]) for r in summary["by_month"]} == {
        (month, "EGP"),
        (month, "USD"),
    }
    assert stripe_b["currency"] == "USD"

    tomorrow = (datetime.now(UTC) + timedelta(days=1)).date().isoformat()
    later = await client.get(
        "/payments/revenue/summary", headers=admin.headers, params={"date_from": tomorrow}
    )
    assert later.json()["totals"] == [] and later.json()["date_from"] == tomorrow
    backwards = await client.get(
        "/payments/revenue/summary",
        headers=admin.headers,
        params={"date_from": tomorrow, "date_to": "2020-01-01"},
    )
    assert backwards.status_code == 422


async def test_revenue_summary_is_for_admins_only(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, instructor: Account
) -> None:
    assert (await client.get("/payments/revenue/summary")).status_code == 401
    for caller in (student, instructor):
        response = await client.get("/payments/revenue/summary", headers=caller.headers)
        assert response.status_code == 403


async def test_my_payments_and_one_payment_are_the_callers_own(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    admin: Account,
    make_course: CourseFactory,
) -> None:
    courses = [await make_course() for _ in range(3)]
    mine = [await start_payment(client, student, course) for course in courses]
    theirs = await start_payment(client, other_student, courses[0])

    first = await client.get(
        "/payments/my-payments", headers=student.headers, params={"page_size": 2}
    )
    assert first.status_code == 200
    page = first.json()
    assert page["total"] == 3 and page["page"] == 1 and page["page_size"] == 2
    assert len(page["items"]) == 2
    second = await client.get(
        "/payments/my-payments", headers=student.headers, params={"page": 2, "page_size": 2}
    )
    ids = {p["id"] for p in page["items"]} | {p["id"] for p in second.json()["items"]}
    assert ids == {p["id"] for p in mine}
    assert all("client_secret" not in p for p in page["items"])

    own = await client.get(f"/payments/{mine[0]['id']}", headers=student.headers)
    assert own.status_code == 200 and own.json()["id"] == mine[0]["id"]
    other = await client.get(f"/payments/{theirs['id']}", headers=student.headers)
    assert other.status_code == 404 and other.json()["code"] == "payment_not_found"
    assert (await client.get(f"/payments/{theirs['id']}", headers=admin.headers)).status_code == 200
    assert (await client.get("/payments/my-payments")).status_code == 401
    assert (await client.get("/payments/my-subscriptions")).status_code == 401
    assert (await client.get(f"/payments/{mine[0]['id']}")).status_code == 401
    assert (await client.get("/payments/not-a-uuid", headers=student.headers)).status_code == 422
    too_big = await client.get(
        "/payments/my-payments", headers=student.headers, params={"page_size": 101}
    )
    assert too_big.status_code == 422
    subs = await client.get("/payments/my-subscriptions", headers=other_student.headers)
    assert subs.json() == {"items": [], "total": 0, "page": 1, "page_size": 20}


async def test_a_course_with_payments_cannot_be_deleted(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    instructor: Account,
    make_course: CourseFactory,
) -> None:
    course = await make_course()
    await start_payment(client, student, course)
    response = await client.delete(f"/courses/{course['id']}", headers=instructor.headers)
    assert response.status_code == 409
    assert response.json()["code"] == "course_has_payments"


async def test_a_retried_partial_refund_refunds_once(
    app: Any,
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    """The answer to a partial refund is lost and the admin's client retries it with the
    same Idempotency-Key: one refund at Stripe, one recorded, the first answer replayed.
    Even once the kept answer is gone (its 24 hours passed, the store was emptied), the
    retry asks Stripe with the same key and records nothing new."""
    payment = await pay_with_stripe(client, student, paid_course)
    path = f"/payments/{payment['id']}/refund"
    headers = {**admin.headers, "Idempotency-Key": "refund-7f3a-part-1"}

    first = await client.post(path, headers=headers, json={"amount": "500.00"})
    retry = await client.post(path, headers=headers, json={"amount": "500.00"})

    assert first.status_code == retry.status_code == 200
    assert retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first.json() and retry.json()["refunded_amount"] == "500.00"
    assert len(world.fake.calls("/v1/refunds")) == 1

    kept = f"idem:user:{admin.id}:{hashlib.sha256(b'refund-7f3a-part-1').hexdigest()}"
    await app.state.store.delete(kept)
    late = await client.post(path, headers=headers, json={"amount": "500.00"})
    assert late.status_code == 200 and "idempotent-replayed" not in late.headers
    assert late.json()["refunded_amount"] == "500.00"
    keys = {c.headers["idempotency-key"] for c in world.fake.calls("/v1/refunds")}
    assert len(keys) == 1 and keys.pop().startswith(f"refund-{payment['id']}-key-")
    summary = (await client.get("/payments/revenue/summary", headers=admin.headers)).json()
    assert summary["totals"][0]["refunded"] == "500.00"

    # The same key for another amount is a client error, not a second refund.
    other = await client.post(path, headers=headers, json={"amount": "100.00"})
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    # A new key is a new refund.
    more = await client.post(
        path,
        headers={**admin.headers, "Idempotency-Key": "refund-7f3a-part-2"},
        json={"amount": "100.00"},
    )
    assert more.status_code == 200 and more.json()["refunded_amount"] == "600.00"
