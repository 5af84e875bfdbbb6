"""Payments and subscriptions as their owners (and admins) read them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.modules.payments import repository
from lms.modules.payments.models import Payment, Subscription
from lms.modules.payments.schemas import PaymentRead, SubscriptionRead
from lms.modules.payments.service.errors import PaymentNotFound


def payment_read(payment: Payment) -> PaymentRead:
    """The payment as the API shows it."""
    return PaymentRead.model_validate(payment)


def subscription_read(subscription: Subscription) -> SubscriptionRead:
    """The subscription as the API shows it, with whether it opens courses right now."""
    read = SubscriptionRead.model_validate(subscription)
    read.is_active = _grants_access(subscription, utcnow())
    return read


def _grants_access(subscription: Subscription, now: datetime) -> bool:
    return (
        subscription.status in repository.GRANTING_SUBSCRIPTION
        and subscription.current_period_end is not None
        and subscription.current_period_end > now
    )


async def list_my_payments(
    session: AsyncSession, *, principal: Principal, offset: int, limit: int
) -> tuple[list[Payment], int]:
    """One page of the caller's payments, newest first, and how many there are."""
    return await repository.page_payments_of(session, principal.id, offset=offset, limit=limit)


async def list_my_subscriptions(
    session: AsyncSession, *, principal: Principal, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    """One page of the caller's subscriptions, newest first, and how many there are."""
    return await repository.page_subscriptions_of(session, principal.id, offset=offset, limit=limit)


async def get_payment_for(
    session: AsyncSession, *, principal: Principal, payment_id: uuid.UUID
) -> Payment:
    """The caller's own payment (or any, for an admin); 404 for everyone else."""
    payment = await repository.get_payment(session, payment_id)
    if payment is None or not (principal.is_admin or payment.user_id == principal.id):
        raise PaymentNotFound()
    return payment
