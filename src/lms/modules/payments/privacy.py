"""The payments module's personal data: the person's payments and subscriptions, and
the providers' webhook events about them.

Erasure keeps payments and subscriptions for the accounts (GDPR art. 17(3)(b): records
a school must keep by law): amounts, currencies, dates, statuses and the providers'
references stay, and revenue totals do not change; the payer is the anonymised account.
What the rows held about the person is removed: the checkout link and the metadata's
free text; the webhook events' payloads (which may carry the payer's email or name, as
Paymob's and MyFatoorah's do) have the person's email and name redacted."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.privacy import (
    PersonalDataHandler,
    document_schema,
    export_rows,
    redact,
    rows_schema,
)
from lms.modules import users
from lms.modules.payments.models import Payment, PaymentWebhookEvent, Subscription


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    return {
        "payments": await export_rows(session, Payment, Payment.user_id == account_id),
        "subscriptions": await export_rows(
            session, Subscription, Subscription.user_id == account_id
        ),
    }


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    person = await users.get_user_summary(session, account_id)
    needles = [person.email, person.full_name] if person and not person.erased else []
    payments = list(await session.scalars(select(Payment).where(Payment.user_id == account_id)))
    for payment in payments:
        payment.payment_url = None
        if payment.payment_metadata and needles:
            payment.payment_metadata = redact(payment.payment_metadata, needles)
        if payment.failure_reason and needles:
            payment.failure_reason = redact(payment.failure_reason, needles)
    if needles:
        subscription_ids = select(Subscription.id).where(Subscription.user_id == account_id)
        provider_events = await session.scalars(
            select(PaymentWebhookEvent).where(
                or_(
                    PaymentWebhookEvent.payment_id.in_([p.id for p in payments]),
                    PaymentWebhookEvent.subscription_id.in_(subscription_ids.scalar_subquery()),
                )
            )
        )
        # A JSON payload may hold the name escaped (non-ASCII as \\u...): both forms go.
        escaped = [json.dumps(needle)[1:-1] for needle in needles]
        for provider_event in provider_events:
            provider_event.payload = redact(provider_event.payload, [*needles, *escaped])
            if provider_event.error_message:
                provider_event.error_message = redact(provider_event.error_message, needles)
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="payments",
    tables=("payments", "subscriptions"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "payments",
        "Your payments (amounts, currency, provider, status, refunds) and subscriptions.",
        {"payments": rows_schema(Payment), "subscriptions": rows_schema(Subscription)},
    ),
    kept="Payments and subscriptions for the accounts, the payer anonymised: revenue "
    "totals do not change.",
)
