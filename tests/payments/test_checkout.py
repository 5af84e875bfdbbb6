"""POST /payments/create-payment-intent against each provider's API (faked over HTTP)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from tests.factories.accounts import Account
from tests.factories.payments import start_payment, stripe_pays
from tests.payments import fakes
from tests.payments.conftest import CourseFactory, PaymentsWorld


async def test_stripe_payment_intent_uses_the_course_price_and_an_idempotency_key(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    payment = await start_payment(client, student, paid_course, "stripe")

    assert payment["status"] == "pending"
    assert payment["amount"] == "1500.00" and payment["currency"] == "EGP"
    assert payment["course_id"] == paid_course["id"] and payment["provider"] == "stripe"
    assert payment["client_secret"].startswith(payment["provider_order_id"] + "_secret_")
    assert payment["payment_url"] is None
    [call] = world.fake.calls("/v1/payment_intents")
    assert call.headers["idempotency-key"] == f"payment-{payment['id']}"
    assert call.headers["authorization"] == f"Bearer {fakes.STRIPE_KEY}"
    assert call.body["amount"] == "150000" and call.body["currency"] == "egp"
    assert call.body["metadata[payment_id]"] == payment["id"]
    assert call.body["automatic_payment_methods[enabled]"] == "true"


async def test_myfatoorah_initiates_then_executes_and_returns_the_payment_url(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")

    assert payment["payment_url"].startswith("https://demo.MyFatoorah.com/En/EGY/PayInvoice/")
    assert payment["client_secret"] is None
    assert payment["provider_order_id"] == str(world.fake.myfatoorah_invoice_id)
    [initiate] = world.fake.calls("/v2/InitiatePayment")
    assert initiate.body == {"InvoiceAmount": 1500.0, "CurrencyIso": "EGP"}
    assert initiate.headers["authorization"] == f"Bearer {fakes.MYFATOORAH_KEY}"
    [execute] = world.fake.calls("/v2/ExecutePayment")
    assert execute.body["PaymentMethodId"] == 2  # the hosted VISA/MASTER page, not a direct one
    assert execute.body["InvoiceValue"] == 1500.0
    assert execute.body["DisplayCurrencyIso"] == "EGP"
    assert execute.body["CustomerReference"] == payment["id"]
    assert execute.body["CustomerEmail"] == student.email
    assert execute.body["CallBackUrl"] == "https://lms.example.com/checkout/done"


async def test_myfatoorah_payment_method_can_be_chosen_and_must_exist(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    chosen = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "myfatoorah", "payment_method": "mz"},
    )
    assert chosen.status_code == 201, chosen.text
    assert world.fake.calls("/v2/ExecutePayment")[0].body["PaymentMethodId"] == 20

    unknown = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "myfatoorah", "payment_method": "xx"},
    )
    assert unknown.status_code == 502
    assert unknown.json()["code"] == "provider_error"


async def test_paymob_creates_an_intention_and_a_unified_checkout_url(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")

    assert payment["provider_order_id"] == str(world.fake.paymob_order_id)
    url = urlsplit(payment["payment_url"])
    assert (url.scheme, url.netloc, url.path) == ("https", "accept.paymob.com", "/unifiedcheckout/")
    query = parse_qs(url.query)
    assert query["publicKey"] == [fakes.PAYMOB_PUBLIC]
    assert query["clientSecret"][0].startswith("egy_csk_test_")
    [intention] = world.fake.calls("/v1/intention/")
    assert intention.headers["authorization"] == f"Token {fakes.PAYMOB_SECRET}"
    body = intention.body
    assert body["amount"] == 150000 and body["currency"] == "EGP"
    assert sum(item["amount"] * item["quantity"] for item in body["items"]) == body["amount"]
    assert body["payment_methods"] == [int(fakes.PAYMOB_INTEGRATION)]
    assert body["special_reference"] == payment["id"]
    assert body["notification_url"] == "https://lms.example.com/api/v1/payments/webhooks/paymob"
    assert body["redirection_url"] == body["notification_url"]
    assert body["billing_data"]["email"] == student.email


async def test_the_client_cannot_name_the_amount(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    response = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "stripe", "amount": "1.00"},
    )
    assert response.status_code == 422
    assert world.fake.requests == []


async def test_unconfigured_provider_is_503_and_nothing_is_recorded(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    world.reconfigure(stripe_secret_key=None, paymob_public_key=None)

    stripe = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "stripe"},
    )
    assert stripe.status_code == 503
    assert stripe.json()["code"] == "provider_not_configured"
    assert "Stripe" in stripe.json()["detail"]
    assert "LMS_STRIPE_SECRET_KEY" in stripe.json()["detail"]
    paymob = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "paymob"},
    )
    assert paymob.status_code == 503 and "LMS_PAYMOB_PUBLIC_KEY" in paymob.json()["detail"]
    mine = await client.get("/payments/my-payments", headers=student.headers)
    assert mine.json()["total"] == 0
    assert world.fake.requests == []


async def test_provider_outage_and_refusal_leave_no_payment_behind(
    client: httpx.AsyncClient, world: PaymentsWorld, student: Account, paid_course: dict[str, Any]
) -> None:
    world.fake.unreachable.add("/v1/intention/")
    down = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "paymob"},
    )
    assert down.status_code == 503
    assert down.json()["code"] == "provider_unavailable"

    world.fake.fail["/v2/InitiatePayment"] = 400
    refused = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "myfatoorah"},
    )
    assert refused.status_code == 502
    assert "InvoiceValue" in refused.json()["detail"]

    world.fake.fail["/v1/payment_intents"] = 401
    stripe = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": paid_course["id"], "provider": "stripe"},
    )
    assert stripe.status_code == 502
    assert fakes.STRIPE_KEY not in stripe.text

    mine = await client.get("/payments/my-payments", headers=student.headers)
    assert mine.json()["total"] == 0


async def test_free_unpublished_unknown_and_already_enrolled_are_refused(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    make_course: CourseFactory,
    paid_course: dict[str, Any],
) -> None:
    async def attempt(course_id: str) -> httpx.Response:
        return await client.post(
            "/payments/create-payment-intent",
            headers=student.headers,
            json={"course_id": course_id, "provider": "stripe"},
        )

    free = await make_course(price="0")
    assert (await attempt(free["id"])).json()["code"] == "course_is_free"
    assert (await attempt(free["id"])).status_code == 422

    draft = await make_course(published=False)
    assert (await attempt(draft["id"])).status_code == 404
    assert (await attempt(str(uuid.uuid4()))).status_code == 404

    payment = await start_payment(client, student, paid_course)
    assert (await stripe_pays(client, payment)).status_code == 200
    again = await attempt(paid_course["id"])
    assert again.status_code == 409
    assert again.json()["code"] == "already_enrolled"
    assert len(world.fake.calls("/v1/payment_intents")) == 1


async def test_only_students_start_payments(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    instructor: Account,
    admin: Account,
    paid_course: dict[str, Any],
) -> None:
    body = {"course_id": paid_course["id"], "provider": "stripe"}
    anonymous = await client.post("/payments/create-payment-intent", json=body)
    assert anonymous.status_code == 401
    for caller in (instructor, admin):
        refused = await client.post(
            "/payments/create-payment-intent", headers=caller.headers, json=body
        )
        assert refused.status_code == 403
    unknown_provider = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={**body, "provider": "paypal"},
    )
    assert unknown_provider.status_code == 422
    assert world.fake.requests == []
