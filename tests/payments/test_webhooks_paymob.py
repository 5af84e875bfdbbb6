"""Paymob's transaction callbacks: the POST notification and the GET redirect, both signed
with HMAC-SHA512 over the 20 documented fields in their documented order."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from lms.modules.payments.providers.paymob import transaction_message
from tests.factories.accounts import Account
from tests.factories.enrollments import enrolled_in
from tests.factories.payments import count_events, send_raw, start_payment, stored_payment
from tests.payments import fakes
from tests.payments.conftest import PaymentsWorld


def paid_obj(payment: dict[str, Any], **changes: Any) -> dict[str, Any]:
    obj = fakes.paymob_transaction(
        order_id=int(payment["provider_order_id"]),
        merchant_order_id=payment["id"],
        amount_cents=150000,
    )
    obj.update(changes)
    return obj


def test_the_signed_string_matches_paymobs_documented_example() -> None:
    # developers.paymob.com, "HMAC Transaction Callback": the sample callback's values
    # concatenated in the documented order.
    obj = fakes.paymob_transaction(
        order_id=217503754, merchant_order_id="x", amount_cents=100000, transaction_id=192036465
    )
    assert transaction_message(obj) == (
        "1000002024-06-13T11:33:44.592345EGPfalsefalse1920364654097558truefalsefalsefalse"
        "truefalse217503754302852false2346MasterCardcardtrue"
    )


async def test_post_callback_enrolls_and_a_replay_changes_nothing(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")
    body, params = fakes.paymob_callback(paid_obj(payment))

    response = await send_raw(client, "paymob", body, params=params)

    assert response.status_code == 200, response.text
    assert response.json()["status"] == "processed"
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "succeeded" and stored.provider_reference == "192036465"
    assert await enrolled_in(client, student) == [paid_course["id"]]
    replay = await send_raw(client, "paymob", body, params=params)
    assert replay.json()["duplicate"] is True
    assert await count_events(db) == 1


async def test_get_redirect_is_verified_applied_once_and_sends_the_browser_on(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")
    obj = paid_obj(payment)

    redirect = await client.get(f"/payments/webhooks/paymob?{fakes.paymob_redirect_query(obj)}")

    assert redirect.status_code == 303, redirect.text
    target = urlsplit(redirect.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == (
        "https://lms.example.com/checkout/done"
    )
    assert parse_qs(target.query) == {
        "provider": ["paymob"],
        "payment_id": [payment["id"]],
        "status": ["succeeded"],
    }
    assert await enrolled_in(client, student) == [paid_course["id"]]
    # The server notification for the same transaction state is the same event.
    body, params = fakes.paymob_callback(obj)
    after = await send_raw(client, "paymob", body, params=params)
    assert after.json()["duplicate"] is True
    assert await count_events(db) == 1

    # A browser that reloads the page sees the same result, and nothing happens twice.
    reload = await client.get(f"/payments/webhooks/paymob?{fakes.paymob_redirect_query(obj)}")
    assert reload.status_code == 303
    assert parse_qs(urlsplit(reload.headers["location"]).query)["status"] == ["succeeded"]
    assert await count_events(db) == 1

    forged = fakes.paymob_redirect_query(obj, secret="wrong-secret")
    refused = await client.get(f"/payments/webhooks/paymob?{forged}")
    assert refused.status_code == 400


async def test_bad_hmac_or_tampered_body_is_400_and_nothing_is_stored(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")
    body, params = fakes.paymob_callback(paid_obj(payment))
    tampered = body.replace(b'"amount_cents": 150000', b'"amount_cents": 100', 1)
    for sent, sent_params in (
        (body, {}),
        (body, {"hmac": "0" * 128}),
        (tampered, params),
        (body, {"hmac": fakes.paymob_hmac(paid_obj(payment), secret="other")}),
    ):
        response = await send_raw(client, "paymob", sent, params=sent_params)
        assert response.status_code == 400, response.text
        assert response.json()["code"] == "invalid_signature"
    assert await count_events(db) == 0
    assert (await stored_payment(db, payment["id"])).status == "pending"


async def test_signed_but_wrong_amount_or_order_fails_the_payment(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    other_student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")
    cheap = paid_obj(payment, amount_cents=100, id=192036466)
    body, params = fakes.paymob_callback(cheap)
    response = await send_raw(client, "paymob", body, params=params)
    assert response.json()["status"] == "rejected"
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "failed" and "amount mismatch" in (stored.failure_reason or "")
    assert await enrolled_in(client, student) == []

    other = await start_payment(client, other_student, paid_course, "paymob")
    elsewhere = paid_obj(other, id=192036467)
    elsewhere["order"]["id"] = 999999  # another order that names our payment
    body, params = fakes.paymob_callback(elsewhere)
    answer = await send_raw(client, "paymob", body, params=params)
    assert answer.json()["status"] == "rejected"
    assert (await stored_payment(db, other["id"])).status == "failed"
    assert await enrolled_in(client, other_student) == []


async def test_declined_pending_and_refunded_callbacks(
    client: httpx.AsyncClient,
    world: PaymentsWorld,
    student: Account,
    paid_course: dict[str, Any],
    db: Any,
) -> None:
    payment = await start_payment(client, student, paid_course, "paymob")
    pending, params = fakes.paymob_callback(paid_obj(payment, success=False, pending=True))
    assert (await send_raw(client, "paymob", pending, params=params)).json()["status"] == "ignored"
    declined, params = fakes.paymob_callback(paid_obj(payment, success=False, id=192036470))
    assert (await send_raw(client, "paymob", declined, params=params)).status_code == 200
    assert (await stored_payment(db, payment["id"])).status == "failed"

    paid, params = fakes.paymob_callback(paid_obj(payment, id=192036471))
    assert (await send_raw(client, "paymob", paid, params=params)).status_code == 200
    assert (await stored_payment(db, payment["id"])).status == "succeeded"
    refunded, params = fakes.paymob_callback(
        paid_obj(payment, id=192036471, is_refunded=True, refunded_amount_cents=150000)
    )
    assert (await send_raw(client, "paymob", refunded, params=params)).status_code == 200
    stored = await stored_payment(db, payment["id"])
    assert stored.status == "refunded" and str(stored.refunded_amount) == "1500.00"
    assert await count_events(db) == 4


async def test_card_token_callbacks_are_verified_and_ignored(
    client: httpx.AsyncClient, world: PaymentsWorld, db: Any
) -> None:
    import hashlib
    import hmac
    import json

    token = {
        "id": 1125,
        "token": "b0f8a9e3c1d2",
        "masked_pan": "xxxx-xxxx-xxxx-2346",
        "merchant_id": 302852,
        "card_subtype": "MasterCard",
        "created_at": "2024-06-13T11:33:50.000000",
        "email": "student@example.com",
        "order_id": "217503754",
        "user_added": False,
    }
    message = "".join(
        str(token[k])
        for k in (
            "card_subtype",
            "created_at",
            "email",
            "id",
            "masked_pan",
            "merchant_id",
            "order_id",
            "token",
        )
    )
    signature = hmac.new(fakes.PAYMOB_HMAC.encode(), message.encode(), hashlib.sha512).hexdigest()
    body = json.dumps({"type": "TOKEN", "obj": token}).encode()
    response = await send_raw(client, "paymob", body, params={"hmac": signature})
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert await count_events(db) == 1
