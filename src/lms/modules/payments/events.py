"""What the payments module tells other modules, published in the transaction that
records the provider's word (see ``lms.core.events``; the modules that react are listed
in ``lms/wiring.py``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import ClassVar

from lms.core.events import Event


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentSucceeded(Event):
    """A payment for a course succeeded (published once per payment, when its status
    first becomes ``succeeded``). A subscriber may refuse by raising an ``AppError``:
    what the subscribers wrote is rolled back, the refusal is recorded on the provider's
    event, and the payment stays succeeded so that an admin can refund it."""

    name: ClassVar[str] = "payment.succeeded.v1"
    payment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID
    amount: Decimal
    currency: str


@dataclass(frozen=True, kw_only=True, slots=True)
class PaymentRefunded(Event):
    """A payment was refunded in full, whichever side started the refund (published
    once, when its status becomes ``refunded``). ``revokes_enrollment`` says whether the
    refund takes back the course it bought (``LMS_REFUND_REVOKES_ENROLLMENT``)."""

    name: ClassVar[str] = "payment.refunded.v1"
    payment_id: uuid.UUID
    user_id: uuid.UUID
    course_id: uuid.UUID | None
    amount: Decimal
    currency: str
    revokes_enrollment: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class SubscriptionUpdated(Event):
    """A subscription's state changed (the provider's word, or a cancellation at the
    end of the period)."""

    name: ClassVar[str] = "subscription.updated.v1"
    subscription_id: uuid.UUID
    user_id: uuid.UUID
    plan: str
    status: str
    cancel_at_period_end: bool
    current_period_end: datetime | None
