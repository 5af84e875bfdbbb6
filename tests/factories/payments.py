"""Payments: starting one, the providers' signed webhooks that settle it, subscriptions,
and payment rows read or written directly."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import httpx
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.modules.payments.models import Payment, PaymentWebhookEvent
from tests.factories.api import Caller, ok
from tests.payments import fakes


async def start_payment(
    client: httpx.AsyncClient, student: Caller, course: dict[str, Any], provider: str = "stripe"
) -> dict[str, Any]:
    """A pending payment by ``student`` for the course through ``provider``."""
    response = await client.post(
        "/payments/create-payment-intent",
        headers=student.headers,
        json={"course_id": course["id"], "provider": provider},
    )
    return ok(response, 201)


def minor(amount: str) -> int:
    """An amount such as "15.00" in minor units (cents, piastres)."""
    return int(Decimal(amount) * 100)


def now() -> int:
    """The current Unix time, as providers stamp their events."""
    return int(time.time())


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
    """The Charge object inside a charge.refunded event, ``refunded`` in minor units."""
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
    """Deliver ``event`` to the Stripe webhook, signed with ``secret`` (at time ``at``)."""
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
    """Deliver Stripe's payment_intent.succeeded for the payment."""
    event = fakes.stripe_event("payment_intent.succeeded", stripe_intent(payment))
    return await send_stripe(client, event)


async def pay_with_stripe(
    client: httpx.AsyncClient, student: Caller, course: dict[str, Any]
) -> dict[str, Any]:
    """A payment by ``student`` for the course that Stripe confirmed (so an enrollment)."""
    payment = await start_payment(client, student, course)
    ok(await stripe_pays(client, payment), 200)
    return payment


async def send_raw(
    client: httpx.AsyncClient,
    provider: str,
    body: bytes,
    *,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    """Deliver a body already signed (or not) to ``provider``'s webhook."""
    return await client.post(
        f"/payments/webhooks/{provider}",
        content=body,
        headers={"Content-Type": "application/json", **(headers or {})},
        params=params,
    )


async def subscribe(
    client: httpx.AsyncClient, student: Caller, plan: str = "monthly"
) -> dict[str, Any]:
    """``student``'s new (incomplete) subscription to ``plan``."""
    response = await client.post(
        "/payments/create-subscription", headers=student.headers, json={"plan": plan}
    )
    return ok(response, 201)


async def count_events(db: AsyncSession) -> int:
    """How many provider webhook events are recorded."""
    return int(await db.scalar(select(func.count()).select_from(PaymentWebhookEvent)) or 0)


async def stored_payment(db: AsyncSession, payment_id: str) -> Payment:
    """The payment's row as it is in the database now."""
    db.expire_all()
    payment = await db.get(Payment, uuid.UUID(payment_id))
    assert payment is not None
    return payment


def payment_row(
    *,
    user_id: uuid.UUID,
    course_id: uuid.UUID,
    provider: str,
    amount: str,
    paid_at: datetime,
    status: str = "succeeded",
    refunded: str = "0.00",
    currency: str = "EGP",
) -> Payment:
    """A payment row processed at ``paid_at``, ``refunded`` of it given back."""
    return Payment(
        provider=provider,
        user_id=user_id,
        course_id=course_id,
        amount=Decimal(amount),
        total_amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency=currency,
        status=status,
        processed_at=paid_at,
        created_at=paid_at,
    )
