"""Paying for one course: the payment opened at the provider, and the page the
customer's browser comes back to.

The amount and currency always come from the course, never from the client.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.config import Settings
from lms.core.db import utcnow
from lms.core.deps import Principal
from lms.core.errors import RuleViolation
from lms.modules import courses, enrollments, users
from lms.modules.payments import repository
from lms.modules.payments.models import Payment
from lms.modules.payments.providers import ProviderRegistry
from lms.modules.payments.providers.base import (
    CheckoutRequest,
    Customer,
    ProviderName,
    to_minor_units,
)
from lms.modules.payments.schemas import PaymentCheckoutRead
from lms.modules.payments.service.errors import (
    AlreadyEnrolled,
    AlreadyPaid,
    CourseIsFree,
    CoveredBySubscription,
)

API_PREFIX = "/api/v1"


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
    if enrollment is not None and enrollment.gives_access:
        raise AlreadyEnrolled()
    if await repository.has_succeeded_payment(session, user_id=principal.id, course_id=course.id):
        raise AlreadyPaid()
    if await repository.has_granting_subscription(session, user_id=principal.id, now=utcnow()):
        raise CoveredBySubscription()
    provider = providers.for_checkout(provider_name)
    user = await users.get_user_summary_or_raise(session, principal.id)
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
