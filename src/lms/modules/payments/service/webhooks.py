"""The providers' signed webhooks: each event is verified before anything is read or
stored, recorded once per provider event id in the same transaction as its effects, and
then applied to the payment or subscription it names.

Payment states only move forward (pending → failed → succeeded → refunded; a failed
attempt may still succeed later), so events arriving out of order are harmless, and a
replay changes nothing. A succeeded payment for a course publishes ``PaymentSucceeded``:
the enrollments module enrolls the student (and sends the enrollment email).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core import events
from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.errors import AppError
from lms.core.metrics import WEBHOOKS
from lms.modules import enrollments
from lms.modules.payments import repository
from lms.modules.payments.events import PaymentSucceeded
from lms.modules.payments.models import Payment
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import (
    EventKind,
    InboundWebhook,
    ProviderEvent,
    ProviderName,
)
from lms.modules.payments.service.refunds import record_refund
from lms.modules.payments.service.subscriptions import apply_snapshot, publish_updated

log = logging.getLogger("lms.payments")

# The order in which a payment's status may move; a lower rank never overwrites a higher.
STATUS_RANK = {"pending": 0, "failed": 1, "succeeded": 2, "refunded": 3}
# Subscription statuses by how far along their life they are (used to break ties
# between events carrying the same timestamp).
SUBSCRIPTION_STAGE = {
    "incomplete": 0,
    "trialing": 1,
    "active": 1,
    "past_due": 1,
    "unpaid": 1,
    "paused": 1,
    "incomplete_expired": 2,
    "canceled": 2,
}


@dataclass
class WebhookOutcome:
    """What became of one webhook request, recorded on its event row and answered to
    the provider."""

    status: str  # processed | ignored | rejected | duplicate
    payment_id: uuid.UUID | None = None
    subscription_id: uuid.UUID | None = None
    note: str | None = None

    @property
    def duplicate(self) -> bool:
        return self.status == "duplicate"


async def handle_webhook(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    provider_name: ProviderName,
    webhook: InboundWebhook,
) -> WebhookOutcome:
    """Verify, record once, then apply — all in the caller's transaction."""
    provider = providers.for_webhooks(provider_name)
    event = provider.verify_and_parse(webhook)
    payload = (
        webhook.body.decode("utf-8", errors="replace")
        if webhook.method == "POST"
        else "&".join(f"{k}={v}" for k, v in webhook.query.items())
    )
    row_id = await repository.claim_event(
        session,
        provider=provider_name,
        event_id=event.event_id,
        event_type=event.event_type,
        payload=payload,
    )
    if row_id is None:
        log.info("webhook replay ignored", extra={"provider": provider_name})
        payment_id = None
        if event.order_id:
            payment_id = await repository.payment_id_for_order(
                session, provider=provider_name, order_id=event.order_id
            )
        WEBHOOKS.labels(provider_name, "duplicate").inc()
        return WebhookOutcome(status="duplicate", payment_id=payment_id)
    event = await provider.confirm(event)
    outcome = await _apply(session, settings=settings, event=event)
    await repository.finish_event(
        session,
        row_id,
        status=outcome.status,
        processed_at=utcnow(),
        error_message=outcome.note,
        payment_id=outcome.payment_id,
        subscription_id=outcome.subscription_id,
    )
    WEBHOOKS.labels(provider_name, outcome.status).inc()
    return outcome


async def _apply(
    session: AsyncSession, *, settings: Settings, event: ProviderEvent
) -> WebhookOutcome:
    if event.kind in (
        EventKind.PAYMENT_SUCCEEDED,
        EventKind.PAYMENT_FAILED,
        EventKind.PAYMENT_PENDING,
        EventKind.PAYMENT_REFUNDED,
    ):
        return await _apply_payment_event(session, settings=settings, event=event)
    if event.kind is EventKind.SUBSCRIPTION_CHANGED:
        return await _apply_subscription_event(session, event=event)
    if event.kind in (EventKind.INVOICE_PAID, EventKind.INVOICE_FAILED):
        return await _apply_invoice_event(session, event=event)
    return WebhookOutcome(status="ignored", note=f"{event.event_type or 'event'} is not handled")


async def _find_payment(session: AsyncSession, event: ProviderEvent) -> Payment | None:
    if event.order_id:
        found = await repository.lock_payment_by_order(
            session, provider=event.provider, order_id=event.order_id
        )
        if found is not None:
            return found
    if event.payment_id is not None:
        found = await repository.lock_payment(session, event.payment_id)
        if found is not None and found.provider == event.provider:
            return found
    return None


def _mismatch(event: ProviderEvent, payment: Payment) -> str | None:
    """Why the event cannot be about this payment, if it cannot."""
    if event.order_id and payment.provider_order_id and event.order_id != payment.provider_order_id:
        return f"order mismatch: event names order {event.order_id}"
    if event.payment_id is not None and event.payment_id != payment.id:
        return "order mismatch: event names another payment"
    if event.currency and event.currency.upper() != payment.currency.upper():
        return f"currency mismatch: paid in {event.currency}, expected {payment.currency}"
    if (
        event.kind is EventKind.PAYMENT_SUCCEEDED
        and event.amount is not None
        and event.amount != payment.amount
    ):
        return f"amount mismatch: paid {event.amount}, expected {payment.amount}"
    return None


async def _apply_payment_event(
    session: AsyncSession, *, settings: Settings, event: ProviderEvent
) -> WebhookOutcome:
    payment = await _find_payment(session, event)
    if payment is None:
        return WebhookOutcome(status="ignored", note="no payment matches this event")
    outcome = WebhookOutcome(status="processed", payment_id=payment.id)
    if problem := _mismatch(event, payment):
        log.warning(
            "payment webhook does not match the payment",
            extra={"payment_id": str(payment.id), "problem": problem},
        )
        if payment.status in ("pending", "failed") and event.kind is EventKind.PAYMENT_SUCCEEDED:
            payment.status = "failed"
            payment.failure_reason = problem[:500]
        outcome.status, outcome.note = "rejected", problem
        return outcome

    if event.kind is EventKind.PAYMENT_SUCCEEDED:
        if STATUS_RANK[payment.status] >= STATUS_RANK["succeeded"]:
            outcome.note = f"already {payment.status}"
            return outcome
        payment.status = "succeeded"
        payment.failure_reason = None
        payment.processed_at = utcnow()
        if event.reference:
            payment.provider_reference = event.reference
        await session.flush()
        outcome.note = await _enroll(session, payment=payment)
    elif event.kind is EventKind.PAYMENT_FAILED:
        if payment.status != "pending":
            outcome.note = f"late failure ignored: already {payment.status}"
            return outcome
        payment.status = "failed"
        payment.failure_reason = (event.failure_reason or "declined")[:500]
    elif event.kind is EventKind.PAYMENT_REFUNDED:
        if payment.status not in ("succeeded", "refunded"):
            outcome.status, outcome.note = "ignored", f"refund of a {payment.status} payment"
            return outcome
        total = event.refunded_amount if event.refunded_amount is not None else payment.amount
        if not await record_refund(session, settings=settings, payment=payment, total=total):
            outcome.note = "refund already recorded"
    else:
        outcome.status, outcome.note = "ignored", event.failure_reason or "payment still pending"
    await session.flush()
    return outcome


async def _enroll(session: AsyncSession, *, payment: Payment) -> str | None:
    """Tell the modules that react that the payment for a course succeeded (the
    enrollments module enrolls the payer, idempotently), and link the enrollment. A
    refusal (a concurrent enrollment that failed, say) is recorded on the event; the
    payment stays succeeded so an admin can refund it."""
    if payment.course_id is None:
        return None
    try:
        async with session.begin_nested():
            await events.publish(
                session,
                PaymentSucceeded(
                    payment_id=payment.id,
                    user_id=payment.user_id,
                    course_id=payment.course_id,
                    amount=payment.amount,
                    currency=payment.currency,
                ),
            )
    except AppError as exc:
        log.warning(
            "paid enrollment refused",
            extra={"payment_id": str(payment.id), "code": exc.code},
        )
        return f"enrollment refused: {exc.detail}"
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=payment.user_id, course_id=payment.course_id
    )
    if enrollment is None:  # nobody enrolled the payer: the wiring is missing a subscriber
        log.error("paid course without an enrollment", extra={"payment_id": str(payment.id)})
        return "no enrollment was made for this payment"
    payment.enrollment_id = enrollment.id
    return None


async def _apply_subscription_event(
    session: AsyncSession, *, event: ProviderEvent
) -> WebhookOutcome:
    snapshot = event.subscription
    assert snapshot is not None
    subscription = await repository.lock_subscription(
        session, provider_subscription_id=snapshot.provider_subscription_id
    )
    if subscription is None and snapshot.local_id is not None:
        subscription = await repository.lock_subscription(
            session, subscription_id=snapshot.local_id
        )
        if subscription is not None and subscription.stripe_subscription_id not in (
            None,
            snapshot.provider_subscription_id,
        ):
            subscription = None
    if subscription is None:
        return WebhookOutcome(status="ignored", note="no subscription matches this event")
    outcome = WebhookOutcome(status="processed", subscription_id=subscription.id)
    held_at = subscription.provider_updated_at
    if event.occurred_at is not None and held_at is not None:
        older = event.occurred_at < held_at
        same_time_backwards = event.occurred_at == held_at and SUBSCRIPTION_STAGE.get(
            snapshot.status, 1
        ) < SUBSCRIPTION_STAGE.get(subscription.status, 1)
        if older or same_time_backwards:
            outcome.status, outcome.note = "ignored", "older than the state we hold"
            return outcome
    if subscription.status in ("canceled", "incomplete_expired") and (
        snapshot.status != subscription.status
    ):
        outcome.status, outcome.note = "ignored", f"the subscription already {subscription.status}"
        return outcome
    apply_snapshot(subscription, snapshot, at=event.occurred_at)
    await session.flush()
    await publish_updated(session, subscription)
    return outcome


async def _apply_invoice_event(session: AsyncSession, *, event: ProviderEvent) -> WebhookOutcome:
    invoice = event.invoice
    assert invoice is not None
    if invoice.provider_subscription_id is None:
        return WebhookOutcome(status="ignored", note="invoice without a subscription")
    subscription = await repository.lock_subscription(
        session, provider_subscription_id=invoice.provider_subscription_id
    )
    if subscription is None:
        return WebhookOutcome(status="ignored", note="no subscription matches this invoice")
    if invoice.amount <= 0:
        return WebhookOutcome(
            status="ignored", subscription_id=subscription.id, note="nothing was charged"
        )
    payment = await repository.lock_payment_by_invoice(session, invoice.invoice_id)
    if payment is None:
        payment = Payment(
            id=uuid.uuid4(),
            provider="stripe",
            payment_type="recurring",
            user_id=subscription.user_id,
            subscription_id=subscription.id,
            provider_order_id=invoice.invoice_id,
            stripe_invoice_id=invoice.invoice_id,
            stripe_subscription_id=invoice.provider_subscription_id,
            stripe_customer_id=invoice.customer_id,
            amount=invoice.amount,
            total_amount=invoice.amount,
            tax_amount=Decimal("0.00"),
            refunded_amount=Decimal("0.00"),
            currency=invoice.currency,
            plan_name=subscription.plan_name,
            plan_price_id=subscription.plan_price_id,
            status="pending",
        )
        try:
            async with session.begin_nested():
                session.add(payment)
                await session.flush()
        except IntegrityError:  # its sibling event (paid / payment_succeeded) won the race
            payment = await repository.lock_payment_by_invoice(session, invoice.invoice_id)
            if payment is None:
                raise
    outcome = WebhookOutcome(
        status="processed", payment_id=payment.id, subscription_id=subscription.id
    )
    if event.kind is EventKind.INVOICE_PAID:
        if STATUS_RANK[payment.status] < STATUS_RANK["succeeded"]:
            payment.status = "succeeded"
            payment.failure_reason = None
            payment.processed_at = utcnow()
            payment.provider_reference = invoice.payment_reference or payment.provider_reference
        else:
            outcome.note = f"already {payment.status}"
    elif payment.status == "pending":
        payment.status = "failed"
        payment.failure_reason = "the invoice payment failed"
    else:
        outcome.note = f"late failure ignored: already {payment.status}"
    await session.flush()
    return outcome
