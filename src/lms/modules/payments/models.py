"""Payments, subscriptions and the webhook events that move them (seed 003's models, with
a provider column and provider-neutral references beside the Stripe ones)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base, JSONType, Timestamps, UUIDPrimaryKey, utcnow

PAYMENT_STATUSES = ("pending", "failed", "succeeded", "refunded")
PAYMENT_TYPES = ("one_time", "recurring", "trial")
SUBSCRIPTION_STATUSES = (
    "incomplete",
    "incomplete_expired",
    "trialing",
    "active",
    "past_due",
    "canceled",
    "unpaid",
    "paused",
)
WEBHOOK_EVENT_STATUSES = ("processing", "processed", "ignored", "rejected")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


Money = Numeric(10, 2)


class Subscription(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        CheckConstraint(_one_of("status", SUBSCRIPTION_STATUSES), name="status_known"),
        CheckConstraint("provider IN ('stripe')", name="provider_known"),
        Index("ix_subscriptions_user_status", "user_id", "status"),
    )

    provider: Mapped[str] = mapped_column(String(20), default="stripe")
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    plan_name: Mapped[str] = mapped_column(String(100))
    plan_price_id: Mapped[str] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(30), default="incomplete")
    current_period_start: Mapped[datetime | None] = mapped_column()
    current_period_end: Mapped[datetime | None] = mapped_column()
    cancel_at_period_end: Mapped[bool] = mapped_column(default=False)
    canceled_at: Mapped[datetime | None] = mapped_column()
    subscription_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # When the provider produced the state we hold: older events change nothing.
    provider_updated_at: Mapped[datetime | None] = mapped_column()


class Payment(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "payments"
    __table_args__ = (
        UniqueConstraint("provider", "provider_order_id"),
        CheckConstraint(_one_of("status", PAYMENT_STATUSES), name="status_known"),
        CheckConstraint(_one_of("payment_type", PAYMENT_TYPES), name="payment_type_known"),
        CheckConstraint("provider IN ('stripe', 'myfatoorah', 'paymob')", name="provider_known"),
        CheckConstraint("amount >= 0", name="amount_not_negative"),
        CheckConstraint(
            "refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"
        ),
        Index("ix_payments_user_created", "user_id", "created_at"),
        Index("ix_payments_user_course_status", "user_id", "course_id", "status"),
        Index("ix_payments_status_processed", "status", "processed_at"),
    )

    provider: Mapped[str] = mapped_column(String(20))
    # The provider's order/invoice/intent id we created, and the id of the settled
    # transaction (what a refund names): Stripe pi_…, MyFatoorah InvoiceId / PaymentId,
    # Paymob order id / transaction id.
    provider_order_id: Mapped[str | None] = mapped_column(String(255))
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    stripe_payment_intent_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_subscription_id: Mapped[str | None] = mapped_column(String(255), index=True)
    stripe_invoice_id: Mapped[str | None] = mapped_column(String(255), unique=True)
    stripe_customer_id: Mapped[str | None] = mapped_column(String(255))
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    # RESTRICT: a course with payments is unpublished, not deleted.
    course_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("courses.id", ondelete="RESTRICT"), index=True
    )
    enrollment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("enrollments.id", ondelete="SET NULL")
    )
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="RESTRICT"), index=True
    )
    payment_type: Mapped[str] = mapped_column(String(20), default="one_time")
    amount: Mapped[Decimal] = mapped_column(Money)
    currency: Mapped[str] = mapped_column(String(3), default="EGP")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    refunded_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    plan_name: Mapped[str | None] = mapped_column(String(100))
    plan_price_id: Mapped[str | None] = mapped_column(String(255))
    tax_amount: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    total_amount: Mapped[Decimal] = mapped_column(Money)
    payment_url: Mapped[str | None] = mapped_column(String(1000))
    failure_reason: Mapped[str | None] = mapped_column(String(500))
    payment_metadata: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    processed_at: Mapped[datetime | None] = mapped_column()
    refunded_at: Mapped[datetime | None] = mapped_column()


class PaymentWebhookEvent(UUIDPrimaryKey, Base):
    """Every verified inbound event, once: the unique (provider, event_id) is what makes
    a replay a no-op, and it is inserted in the same transaction as its effects."""

    __tablename__ = "payment_webhook_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_id"),
        CheckConstraint(_one_of("status", WEBHOOK_EVENT_STATUSES), name="status_known"),
    )

    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(20), default="processing")
    payload: Mapped[str] = mapped_column(Text)
    error_message: Mapped[str | None] = mapped_column(Text)
    payment_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("payments.id", ondelete="SET NULL"), index=True
    )
    subscription_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None] = mapped_column()
