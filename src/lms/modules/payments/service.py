"""Payments: taking money for courses and plans, and keeping our records equal to the
providers' through their signed webhooks.

Rules that hold whatever the provider:
- The amount and currency always come from the course, never from the client.
- A webhook is verified before anything is read or stored, recorded once per provider
  event id in the same transaction as its effects, and a replay changes nothing.
- Payment states only move forward (pending → failed → succeeded → refunded; a failed
  attempt may still succeed later), so events arriving out of order are harmless.
- A succeeded payment enrolls the student through the enrollments service (which sends
  the enrollment email); a full refund can drop that enrollment
  (``LMS_REFUND_REVOKES_ENROLLMENT``).

Other modules may call ``has_paid_access`` (also registered with the enrollments module
at import) and ``course_has_payments``.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import AppError, Conflict, NotFound, RuleViolation
from lms.modules.courses import service as courses
from lms.modules.enrollments import service as enrollments
from lms.modules.payments import repository
from lms.modules.payments.models import Payment, Subscription
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import (
    CheckoutRequest,
    Customer,
    EventKind,
    InboundWebhook,
    ProviderEvent,
    ProviderName,
    RefundRequest,
    SubscriptionSnapshot,
    to_minor_units,
)
from lms.modules.payments.schemas import (
    CourseRevenue,
    MonthRevenue,
    PaymentCheckoutRead,
    PaymentRead,
    ProviderRevenue,
    RefundCreate,
    RevenueLine,
    RevenueSummary,
    SubscriptionCheckoutRead,
    SubscriptionRead,
)
from lms.modules.users import service as users

log = logging.getLogger("lms.payments")

API_PREFIX = "/api/v1"
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


class PaymentNotFound(NotFound):
    code = "payment_not_found"
    detail = "No payment with this id."


class SubscriptionNotFound(NotFound):
    code = "subscription_not_found"
    detail = "No subscription with this id."


class CourseIsFree(RuleViolation):
    code = "course_is_free"
    detail = "This course is free: enroll directly, there is nothing to pay."


class AlreadyEnrolled(Conflict):
    code = "already_enrolled"
    detail = "You are already enrolled in this course."


class AlreadyPaid(Conflict):
    code = "already_paid"
    detail = "You have already paid for this course: enroll directly."


class CoveredBySubscription(Conflict):
    code = "covered_by_subscription"
    detail = "Your active subscription covers this course: enroll directly."


class UnknownPlan(RuleViolation):
    code = "unknown_plan"


class SubscriptionExists(Conflict):
    code = "subscription_exists"
    detail = "You already have a subscription; cancel it before starting another."


class SubscriptionNotCancelable(Conflict):
    code = "subscription_not_cancelable"


class NotRefundable(Conflict):
    code = "not_refundable"


class RefundTooLarge(RuleViolation):
    code = "refund_too_large"


class CourseHasPayments(Conflict):
    code = "course_has_payments"
    detail = "Students have paid for this course; unpublish it instead of deleting it."


# Access for the enrollments module


async def has_paid_access(
    session: AsyncSession, student_id: uuid.UUID, course_id: uuid.UUID
) -> bool:
    """A succeeded (not fully refunded) payment for the course, or a subscription that
    is active or trialing and whose current period covers now."""
    if await repository.has_succeeded_payment(session, user_id=student_id, course_id=course_id):
        return True
    return await repository.has_granting_subscription(session, user_id=student_id, now=utcnow())


async def course_has_payments(session: AsyncSession, course_id: uuid.UUID) -> bool:
    return await repository.course_has_payments(session, course_id)


async def _refuse_deleting_paid_course(session: AsyncSession, course: courses.Course) -> None:
    if await repository.course_has_payments(session, course.id):
        raise CourseHasPayments()


enrollments.register_paid_access_checker(has_paid_access)
courses.on_course_deleting(_refuse_deleting_paid_course)


# Reading


def payment_read(payment: Payment) -> PaymentRead:
    return PaymentRead.model_validate(payment)


def subscription_read(subscription: Subscription) -> SubscriptionRead:
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
    return await repository.page_payments_of(session, principal.id, offset=offset, limit=limit)


async def list_my_subscriptions(
    session: AsyncSession, *, principal: Principal, offset: int, limit: int
) -> tuple[list[Subscription], int]:
    return await repository.page_subscriptions_of(session, principal.id, offset=offset, limit=limit)


async def get_payment_for(
    session: AsyncSession, *, principal: Principal, payment_id: uuid.UUID
) -> Payment:
    """The caller's own payment (or any, for an admin); 404 for everyone else."""
    payment = await repository.get_payment(session, payment_id)
    if payment is None or not (principal.is_admin or payment.user_id == principal.id):
        raise PaymentNotFound()
    return payment


# One-time course payments


def _urls(settings: Settings, provider: str) -> tuple[str, str]:
    base = settings.public_base_url.rstrip("/")
    webhook = f"{base}{API_PREFIX}/payments/webhooks/{provider}"
    return webhook, settings.payments_return_url or f"{base}/payments/return"


async def return_url_for(
    session: AsyncSession, *, settings: Settings, provider: str, payment_id: uuid.UUID | None
) -> str:
    """The site's payment result page, told which payment and how it stands."""
    _, return_url = _urls(settings, provider)
    payment = await repository.get_payment(session, payment_id) if payment_id else None
    parts = urlsplit(return_url)
    query = [
        *parse_qsl(parts.query, keep_blank_values=True),
        ("provider", provider),
        ("payment_id", str(payment.id) if payment else ""),
        ("status", payment.status if payment else "unknown"),
    ]
    return urlunsplit(parts._replace(query=urlencode(query)))


async def start_course_payment(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    principal: Principal,
    course_id: uuid.UUID,
    provider_name: ProviderName,
    payment_method: str | None = None,
) -> PaymentCheckoutRead:
    """Open a payment for a paid, published course the student is not enrolled in. The
    price is the course's; the provider returns what the client needs to pay it."""
    course = await courses.get_course_or_raise(session, course_id)
    if not course.is_published:
        raise courses.CourseNotFound()
    if course.price <= 0:
        raise CourseIsFree()
    enrollment = await enrollments.get_enrollment_for(
        session, student_id=principal.id, course_id=course.id
    )
    if enrollment is not None and enrollment.status in ("active", "completed"):
        raise AlreadyEnrolled()
    if await repository.has_succeeded_payment(session, user_id=principal.id, course_id=course.id):
        raise AlreadyPaid()
    if await repository.has_granting_subscription(session, user_id=principal.id, now=utcnow()):
        raise CoveredBySubscription()
    provider = providers.for_checkout(provider_name)
    user = await users.get_user_or_raise(session, principal.id)
    try:
        to_minor_units(course.price, course.currency)
    except ValueError as exc:
        raise RuleViolation(str(exc), code="unpayable_amount") from exc

    payment = Payment(
        id=uuid.uuid4(),
        provider=provider_name,
        user_id=user.id,
        course_id=course.id,
        payment_type="one_time",
        amount=course.price,
        currency=course.currency.upper(),
        total_amount=course.price,
        tax_amount=Decimal("0.00"),
        status="pending",
        refunded_amount=Decimal("0.00"),
    )
    session.add(payment)
    await session.flush()
    notification_url, return_url = _urls(settings, provider_name)
    checkout = await provider.create_checkout(
        CheckoutRequest(
            payment_id=payment.id,
            course_id=course.id,
            description=course.title,
            amount=payment.amount,
            currency=payment.currency,
            customer=Customer(id=user.id, email=user.email, full_name=user.full_name),
            notification_url=notification_url,
            redirect_url=notification_url,
            return_url=return_url,
            payment_method=payment_method,
        )
    )
    payment.provider_order_id = checkout.provider_order_id
    payment.payment_url = checkout.payment_url
    payment.payment_metadata = {k: v for k, v in checkout.details.items() if v is not None}
    if provider_name == "stripe":
        payment.stripe_payment_intent_id = checkout.provider_order_id
    await session.flush()
    read = PaymentCheckoutRead.model_validate(payment)
    read.client_secret = checkout.client_secret
    return read


# Subscriptions


async def start_subscription(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    principal: Principal,
    plan: str,
) -> SubscriptionCheckoutRead:
    """Subscribe to a plan (a Stripe Price). The subscription is ``incomplete`` until its
    first invoice is paid with the returned ``client_secret``."""
    stripe = providers.subscriptions()
    price_id = settings.stripe_plan_price_ids.get(plan)
    if price_id is None:
        offered = ", ".join(sorted(settings.stripe_plan_price_ids)) or "none configured"
        raise UnknownPlan(f"There is no plan {plan!r} (plans: {offered}).")
    if await repository.has_open_subscription(session, user_id=principal.id):
        raise SubscriptionExists()
    user = await users.get_user_or_raise(session, principal.id)
    customer_id = await repository.known_stripe_customer(session, user_id=user.id)
    if customer_id is None:
        customer_id = await stripe.ensure_customer(
            Customer(id=user.id, email=user.email, full_name=user.full_name)
        )
    subscription = Subscription(
        id=uuid.uuid4(),
        provider="stripe",
        user_id=user.id,
        plan_name=plan,
        plan_price_id=price_id,
        status="incomplete",
        stripe_customer_id=customer_id,
    )
    session.add(subscription)
    await session.flush()
    snapshot, client_secret = await stripe.create_subscription(
        subscription_id=subscription.id,
        customer_id=customer_id,
        price_id=price_id,
        user_id=user.id,
        plan_name=plan,
    )
    _apply_snapshot(subscription, snapshot, at=None)
    await session.flush()
    read = SubscriptionCheckoutRead.model_validate(subscription_read(subscription))
    read.client_secret = client_secret
    return read


async def cancel_subscription(
    session: AsyncSession,
    *,
    providers: ProviderRegistry,
    principal: Principal,
    subscription_id: uuid.UUID,
) -> Subscription:
    """Cancel at the end of the paid period (the plan keeps working until then)."""
    subscription = await repository.lock_subscription(session, subscription_id=subscription_id)
    if subscription is None or subscription.user_id != principal.id:
        raise SubscriptionNotFound()
    if subscription.status in ("canceled", "incomplete_expired"):
        raise SubscriptionNotCancelable(
            "This subscription has already ended.", code="subscription_ended"
        )
    if subscription.cancel_at_period_end:
        raise SubscriptionNotCancelable(
            "This subscription is already set to end with its period.",
            code="already_canceling",
        )
    if subscription.stripe_subscription_id is None:
        raise SubscriptionNotCancelable("This subscription was never started at Stripe.")
    snapshot = await providers.subscriptions().cancel_at_period_end(
        provider_subscription_id=subscription.stripe_subscription_id,
        idempotency_key=f"cancel-{subscription.id}",
    )
    _apply_snapshot(subscription, snapshot, at=None)
    await session.flush()
    return subscription


def _apply_snapshot(
    subscription: Subscription, snapshot: SubscriptionSnapshot, *, at: datetime | None
) -> None:
    subscription.stripe_subscription_id = snapshot.provider_subscription_id
    subscription.status = snapshot.status
    if snapshot.customer_id:
        subscription.stripe_customer_id = snapshot.customer_id
    if snapshot.price_id:
        subscription.plan_price_id = snapshot.price_id
    if snapshot.current_period_start is not None:
        subscription.current_period_start = snapshot.current_period_start
    if snapshot.current_period_end is not None:
        subscription.current_period_end = snapshot.current_period_end
    subscription.cancel_at_period_end = snapshot.cancel_at_period_end
    subscription.canceled_at = snapshot.canceled_at
    if at is not None:
        subscription.provider_updated_at = at


# Refunds


async def refund_payment(
    session: AsyncSession,
    *,
    settings: Settings,
    providers: ProviderRegistry,
    payment_id: uuid.UUID,
    data: RefundCreate,
) -> Payment:
    """Refund all (default) or part of a succeeded payment through its provider."""
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
            idempotency_key=f"refund-{payment.id}-{already}",
            reason=data.reason,
        )
    )
    refunds = list((payment.payment_metadata or {}).get("refunds", []))
    refunds.append(
        {
            "id": outcome.refund_id,
            "amount": str(amount),
            "status": outcome.status,
            "at": utcnow().isoformat(),
        }
    )
    payment.payment_metadata = {**(payment.payment_metadata or {}), "refunds": refunds}
    await _record_refund(
        session, settings=settings, payment=payment, total=payment.refunded_amount + amount
    )
    await session.flush()
    return payment


async def _record_refund(
    session: AsyncSession, *, settings: Settings, payment: Payment, total: Decimal
) -> bool:
    """Raise the refunded total (never lower it); a full refund ends the payment and,
    when configured, the enrollment it bought. Returns whether anything changed."""
    total = min(total, payment.amount)
    if total <= payment.refunded_amount:
        return False
    payment.refunded_amount = total
    if total >= payment.amount:
        payment.status = "refunded"
        payment.refunded_at = utcnow()
        if settings.refund_revokes_enrollment and payment.course_id is not None:
            await enrollments.drop_enrollment(
                session, student_id=payment.user_id, course_id=payment.course_id
            )
    return True


# Revenue


async def revenue_summary(
    session: AsyncSession, *, date_from: date | None, date_to: date | None
) -> RevenueSummary:
    """Collected money net of refunds, per currency, and by provider, course and month
    (all summed in SQL; amounts in different currencies are never added together)."""
    since = datetime.combine(date_from, time.min, UTC) if date_from else None
    until = datetime.combine(date_to + timedelta(days=1), time.min, UTC) if date_to else None
    window: dict[str, Any] = {"since": since, "until": until}
    totals = await repository.revenue(session, group_by=[], **window)
    per_provider = await repository.revenue(session, group_by=["provider"], **window)
    per_course = await repository.revenue(session, group_by=["course_id"], **window)
    per_month = await repository.revenue(session, group_by=["month"], **window)
    course_ids = [row["course_id"] for row in per_course if row["course_id"] is not None]
    titles = {cid: c.title for cid, c in (await courses.get_courses(session, course_ids)).items()}
    return RevenueSummary(
        date_from=date_from,
        date_to=date_to,
        totals=[RevenueLine(**row) for row in totals],
        by_provider=[ProviderRevenue(**row) for row in per_provider],
        by_course=[
            CourseRevenue(**row, course_title=titles.get(row["course_id"])) for row in per_course
        ],
        by_month=[MonthRevenue(**row) for row in per_month],
    )


# Webhooks


@dataclass
class WebhookOutcome:
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
        outcome.note = await _enroll(session, settings=settings, payment=payment)
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
        if not await _record_refund(session, settings=settings, payment=payment, total=total):
            outcome.note = "refund already recorded"
    else:
        outcome.status, outcome.note = "ignored", event.failure_reason or "payment still pending"
    await session.flush()
    return outcome


async def _enroll(session: AsyncSession, *, settings: Settings, payment: Payment) -> str | None:
    """Enroll the payer (idempotent). A refusal from the enrollments module (the course
    was unpublished since, say) is recorded on the event; the payment stays succeeded
    so an admin can refund it."""
    if payment.course_id is None:
        return None
    try:
        async with session.begin_nested():
            enrollment = await enrollments.enroll_student(
                session,
                settings=settings,
                student_id=payment.user_id,
                course_id=payment.course_id,
                skip_payment_check=True,
            )
    except AppError as exc:
        log.warning(
            "paid enrollment refused",
            extra={"payment_id": str(payment.id), "code": exc.code},
        )
        return f"enrollment refused: {exc.detail}"
    if enrollment.status == "dropped":  # dropped by an earlier refund, paid for again
        await enrollments.reactivate_enrollment(
            session, student_id=payment.user_id, course_id=payment.course_id
        )
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
    _apply_snapshot(subscription, snapshot, at=event.occurred_at)
    await session.flush()
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
