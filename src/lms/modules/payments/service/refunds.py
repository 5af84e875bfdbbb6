"""Giving money back: an admin's refund through the provider, and recording a refund
whichever side started it (our request or the provider's webhook).

A full refund publishes ``PaymentRefunded``; the enrollments module drops the
enrollment it bought when ``LMS_REFUND_REVOKES_ENROLLMENT`` says so.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from hashlib import sha256

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.modules.payments import repository
from lms.modules.payments.events import PaymentRefunded
from lms.modules.payments.models import Payment
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import RefundRequest, to_minor_units
from lms.modules.payments.schemas import RefundCreate
from lms.modules.payments.service.errors import NotRefundable, PaymentNotFound, RefundTooLarge


async def refund_payment(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    payment_id: uuid.UUID,
    data: RefundCreate,
    idempotency_key: str | None = None,
) -> Payment:
    """Refund all (default) or part of a succeeded payment through its provider. With
    the client's ``idempotency_key`` the provider's key is derived from it, so a retry
    of the same refund is the same refund at the provider, recorded once."""
    payment = await repository.lock_payment(session, payment_id)
    if payment is None:
        raise PaymentNotFound()
    if payment.status != "succeeded":
        raise NotRefundable(
            f"Only a succeeded payment can be refunded; this one is {payment.status}."
        )
    remaining = payment.amount - payment.refunded_amount
    amount = data.amount if data.amount is not None else remaining
    if amount > remaining:
        raise RefundTooLarge(f"At most {remaining} {payment.currency} is left to refund.")
    provider = providers.for_checkout(payment.provider)  # type: ignore[arg-type]
    already = to_minor_units(payment.refunded_amount, payment.currency)
    outcome = await provider.refund(
        RefundRequest(
            payment_id=payment.id,
            amount=amount,
            currency=payment.currency,
            provider_order_id=payment.provider_order_id,
            provider_reference=payment.provider_reference or payment.stripe_payment_intent_id,
            # The same refund retried is one refund at the provider; a further one is new.
            idempotency_key=(
                f"refund-{payment.id}-key-{sha256(idempotency_key.encode()).hexdigest()[:32]}"
                if idempotency_key
                else f"refund-{payment.id}-{already}"
            ),
            reason=data.reason,
        )
    )
    refunds = list((payment.payment_metadata or {}).get("refunds", []))
    if any(known.get("id") == outcome.refund_id for known in refunds):
        return payment  # the provider answered with a refund already recorded: a retry
    refunds.append(
        {
            "id": outcome.refund_id,
            "amount": str(amount),
            "status": outcome.status,
            "at": utcnow().isoformat(),
        }
    )
    payment.payment_metadata = {**(payment.payment_metadata or {}), "refunds": refunds}
    await record_refund(
        session, settings=settings, payment=payment, total=payment.refunded_amount + amount
    )
    await session.flush()
    return payment


async def record_refund(
    session: AsyncSession, *, settings: Settings, payment: Payment, total: Decimal
) -> bool:
    """Raise the refunded total (never lower it); a full refund ends the payment and,
    when configured, the enrollment it bought (``PaymentRefunded``). Returns whether
    anything changed."""
    total = min(total, payment.amount)
    if total <= payment.refunded_amount:
        return False
    payment.refunded_amount = total
    if total >= payment.amount:
        payment.status = "refunded"
        payment.refunded_at = utcnow()
        await events.publish(
            session,
            PaymentRefunded(
                payment_id=payment.id,
                user_id=payment.user_id,
                course_id=payment.course_id,
                amount=payment.amount,
                currency=payment.currency,
                revokes_enrollment=settings.refund_revokes_enrollment,
            ),
        )
    return True
