from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ProviderName = Literal["stripe", "myfatoorah", "paymob"]
PaymentStatus = Literal["pending", "failed", "succeeded", "refunded"]


class StrictModel(BaseModel):
    """Refuses unknown fields: an ``amount`` sent by a client is a 422, never a price."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PaymentIntentCreate(StrictModel):
    course_id: uuid.UUID
    provider: ProviderName = "stripe"
    payment_method: str | None = Field(
        default=None,
        max_length=20,
        description="MyFatoorah only: a PaymentMethodCode such as `vm` or `kn`.",
    )


class PaymentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: ProviderName
    payment_type: str
    status: PaymentStatus
    amount: Decimal
    currency: str
    refunded_amount: Decimal
    course_id: uuid.UUID | None
    subscription_id: uuid.UUID | None
    enrollment_id: uuid.UUID | None
    plan_name: str | None
    provider_order_id: str | None
    payment_url: str | None
    failure_reason: str | None
    created_at: datetime
    processed_at: datetime | None
    refunded_at: datetime | None


class PaymentCheckoutRead(PaymentRead):
    """The new payment and what the client needs to pay it: ``client_secret`` (Stripe,
    for Stripe.js) or ``payment_url`` (MyFatoorah, Paymob: send the browser there)."""

    client_secret: str | None = None


class SubscriptionCreate(StrictModel):
    plan: str = Field(min_length=1, max_length=100, description="A configured plan name")


class SubscriptionRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    provider: str
    plan_name: str
    plan_price_id: str
    status: str
    current_period_start: datetime | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    canceled_at: datetime | None
    is_active: bool = False
    created_at: datetime


class SubscriptionCheckoutRead(SubscriptionRead):
    client_secret: str | None = None


class RefundCreate(StrictModel):
    amount: Decimal | None = Field(
        default=None, gt=0, max_digits=10, decimal_places=2, description="Default: the rest"
    )
    reason: str | None = Field(default=None, max_length=200)


class WebhookAck(BaseModel):
    received: bool = True
    duplicate: bool = False
    status: str
    payment_id: uuid.UUID | None = None


class RevenueLine(BaseModel):
    currency: str
    payments: int
    gross: Decimal
    refunded: Decimal
    net: Decimal


class ProviderRevenue(RevenueLine):
    provider: str


class CourseRevenue(RevenueLine):
    course_id: uuid.UUID | None = Field(description="null: subscription payments")
    course_title: str | None = None


class MonthRevenue(RevenueLine):
    month: str = Field(description="YYYY-MM (UTC), when the payment succeeded")


class RevenueSummary(BaseModel):
    date_from: date | None
    date_to: date | None
    totals: list[RevenueLine]
    by_provider: list[ProviderRevenue]
    by_course: list[CourseRevenue]
    by_month: list[MonthRevenue]
