"""Small steps the payment tests repeat: start a payment, deliver signed webhooks."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import Account
from tests.payments import fakes


async def start_payment(
    client: httpx.AsyncClient, student: Account, course: dict[str, Any], provider: str = "stripe"
) -> dict[str, Any]:
    response = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": course["id"], "provider": provider},
    )
    assert response.status_code == 201, response.text
    payment: dict[str, Any] = response.json()
    return payment


def minor(amount: str) -> int:
    return int(Decimal(amount) * 100)


def stripe_intent(
    payment: dict[str, Any],
    *,
    status: str = "succeeded",
    amount: int | None = None,
    currency: str | None = None,
) -> dict[str, Any]:
    """The PaymentIntent object inside a payment_intent.* event."""
    cents = minor(payment["amount"]) if amount is None else amount
    return {
        "id": payment["provider_order_id"],
        "object": "payment_intent",
        "amount": cents,
        "amount_received": cents if status == "succeeded" else 0,
        "currency": (currency or payment["currency"]).lower(),
        "latest_charge": "ch_3PqTestCharge" if status == "succeeded" else None,
        "last_payment_error": None
        if status != "requires_payment_method"
        else {"code": "card_declined", "message": "Your card was declined."},
        "metadata": {"payment_id": payment["id"]},
        "status": status,
    }


def stripe_charge_refunded(payment: dict[str, Any], *, refunded: int) -> dict[str, Any]:
    return {
        "id": "ch_3PqTestCharge",
        "object": "charge",
        "amount": minor(payment["amount"]),
        "amount_refunded": refunded,
        "currency": payment["currency"].lower(),
        "payment_intent": payment["provider_order_id"],
        "refunded": refunded >= minor(payment["amount"]),
        "metadata": {},
        "status": "succeeded",
    }


async def send_stripe(
    client: httpx.AsyncClient,
    event: dict[str, Any],
    *,
    secret: str = fakes.STRIPE_WEBHOOK_SECRET,
    at: int | None = None,
) -> httpx.Response:
    body = json.dumps(event)
    return await client.post(
        "/payments/webhooks/stripe",
        content=body,
        headers={
            "Stripe-Signature": fakes.stripe_signature(body, secret=secret, at=at),
            "Content-Type": "application/json",
        },
    )


async def stripe_pays(client: httpx.AsyncClient, payment: dict[str, Any]) -> httpx.Response:
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))
    return await send_stripe(client, event)


async def send_raw(
    client: httpx.AsyncClient,
    provider: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return await client.post(
        f"/payments/webhooks/{provider}",
        content=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        params=params,
    )


def now() -> int:
    return int(time.time())
