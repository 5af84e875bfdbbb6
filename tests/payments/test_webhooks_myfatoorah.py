"""MyFatoorah webhooks (v2 and v1), signed as MyFatoorah documents, confirmed with
GetPaymentStatus before a payment counts."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.factories.accounts import Account
from tests.factories.enrollments import enrolled_in
from tests.factories.payments import count_events, send_raw, start_payment, stored_payment
from tests.payments import fakes
from tests.payments.conftest import PaymentsWorld


async def test_v2_success_is_confirmed_then_enrolls(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(
        invoice_id=int(payment["provider_order_id"]), customer_reference=payment["id"]
    )

    response = await send_raw(client, "myfatoorah", body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processed"
    [lookup] = world.fake.calls("/v2/GetPaymentStatus")
    assert lookup.body == {"Key": payment["provider_order_id"], "KeyType": "InvoiceId"}
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "succeeded"
    assert stored.provider_reference == json.loads(body)["Data"]["Transaction"]["PaymentId"]
    assert await enrolled_in(client, student) == [paid_course["id"]]

    replay = await send_raw(client, "myfatoorah", body, headers=headers)
    assert replay.json()["duplicate"] is True
    assert len(world.fake.calls("/v2/GetPaymentStatus")) == 1
    assert await count_events(db) == 1


async def test_v2_success_that_the_status_lookup_does_not_confirm_waits(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    world.fake.myfatoorah_invoice_status = "Pending"
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(invoice_id=int(payment["provider_order_id"]))

    response = await send_raw(client, "myfatoorah", body, headers=headers)

    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert (await stored_payment(db, payment["id"])).status == "pending"
    assert await enrolled_in(client, student) == []


async def test_v2_failure_marks_the_payment_failed(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(
        invoice_id=int(payment["provider_order_id"]),
        transaction_status="FAILED",
        invoice_status="PENDING",
    )
    assert (await send_raw(client, "myfatoorah", body, headers=headers)).status_code == 200
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "failed" and stored.failure_reason == "Insufficient funds"
    assert world.fake.calls("/v2/GetPaymentStatus") == []


async def test_bad_or_missing_signature_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(invoice_id=int(payment["provider_order_id"]))
    forged = fakes.myfatoorah_signature([("Invoice.Id", "1")], secret="not-the-secret")
    tampered = body.replace(b'"Status": "PAID"', b'"Status": "PENDING"')

    for sent, sent_headers in (
        (body, {}),
        (body, {"MyFatoorah-Signature": forged}),
        (tampered, headers),
        (b"not json", headers),
    ):
        response = await send_raw(client, "myfatoorah", sent, headers=sent_headers)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_signature"
    assert await count_events(db) == 0
    assert (await stored_payment(db, payment["id"])).status == "pending"


async def test_wrong_amount_is_rejected_and_fails_the_payment(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(
        invoice_id=int(payment["provider_order_id"]), amount="15.00"
    )
    response = await send_raw(client, "myfatoorah", body, headers=headers)
    assert response.json()["status"] == "rejected"
    assert (await stored_payment(db, payment["id"])).status == "failed"
    assert await enrolled_in(client, student) == []


async def test_v1_transaction_event_signed_over_sorted_data_enrolls(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    data = {
        "InvoiceId": int(payment["provider_order_id"]),
        "InvoiceReference": "2021000184",
        "CreatedDate": "04032021211555",
        "CustomerReference": payment["id"],
        "CustomerName": "Test Student",
        "CustomerMobile": "96512345678",
        "CustomerEmail": None,
        "TransactionStatus": "SUCCESS",
        "PaymentMethod": "KNET",
        "UserDefinedField": None,
        "ReferenceId": "106310001097",
        "TrackId": "04-03-2021_477336",
        "PaymentId": "100202106359084366",
        "AuthorizationId": "B68413",
        "InvoiceValueInBaseCurrency": "1500.00",
        "BaseCurrency": "EGP",
        "InvoiceValueInDisplayCurreny": "1500.00",
        "DisplayCurrency": "EGP",
        "InvoiceValueInPayCurrency": "1500.00",
        "PayCurrency": "EGP",
    }
    body, headers = fakes.myfatoorah_v1(1, "TransactionsStatusChanged", data)

    response = await send_raw(client, "myfatoorah", body, headers=headers)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processed"
    assert (await stored_payment(db, payment["id"])).status == "succeeded"
    assert await enrolled_in(client, student) == [paid_course["id"]]


async def test_v1_unknown_event_type_is_stored_and_ignored(
    client: httpx.AsyncClient, world: PaymentsWorld, db: Any
) -> None:
    body, headers = fakes.myfatoorah_v1(
        3,
        "BalanceTransferred",
        {"Name": "LMS", "TransferredAmount": "4500.00", "TransferDate": "05032021"},
    )
    response = await send_raw(client, "myfatoorah", body, headers=headers)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert await count_events(db) == 1
    again = await send_raw(client, "myfatoorah", body, headers=headers)
    assert again.json()["duplicate"] is True


async def test_v2_refund_event_refunds_the_payment(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    invoice = int(payment["provider_order_id"])
    paid, paid_headers = fakes.myfatoorah_v2_payment(invoice_id=invoice)
    assert (await send_raw(client, "myfatoorah", paid, headers=paid_headers)).status_code == 200

    refund, refund_headers = fakes.myfatoorah_v2_refund(invoice_id=invoice, amount="1500.00")
    response = await send_raw(client, "myfatoorah", refund, headers=refund_headers)

    assert response.status_code == 200 and response.json()["status"] == "processed"
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "refunded" and str(stored.refunded_amount) == "1500.00"


async def test_status_lookup_outage_stores_nothing_so_the_retry_succeeds(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "myfatoorah")
    body, headers = fakes.myfatoorah_v2_payment(invoice_id=int(payment["provider_order_id"]))
    world.fake.unreachable.add("/v2/GetPaymentStatus")

    outage = await send_raw(client, "myfatoorah", body, headers=headers)

    assert outage.status_code == 503 and outage.json()["code"] == "provider_unavailable"
    assert await count_events(db) == 0
    assert (await stored_payment(db, payment["id"])).status == "pending"
    world.fake.unreachable.clear()
    retry = await send_raw(client, "myfatoorah", body, headers=headers)
    assert retry.status_code == 200 and retry.json()["duplicate"] is False
    assert await enrolled_in(client, student) == [paid_course["id"]]
