"""The webhooks module's personal data: the endpoints the person registered (an admin),
and the events about the person sent to other systems (deliveries and the outbox rows
carrying them).

Export lists the endpoints (never their secrets) and the deliveries whose payload names
the person's id or email: who was told what about them (GDPR art. 15(1)(c)). Erasure
redacts the person's email and name in those payloads, in the deliveries and in the
queued messages; the ids stay (they point at the anonymised account). Endpoints stay."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from lms.core.jobs import OutboxMessage
from lms.core.privacy import (
    PersonalDataHandler,
    document_schema,
    export_rows,
    json_mentions,
    redact,
    rows_schema,
)
from lms.modules import users
from lms.modules.webhooks.models import WebhookDelivery, WebhookEndpoint
from lms.modules.webhooks.service.delivery import RETRY_TASK
from lms.modules.webhooks.service.subscriptions import SEND_TASK

ENDPOINT_SECRETS = ("secret_encrypted", "previous_secret_encrypted", "previous_secret_expires_at")


async def export_personal_data(session: AsyncSession, account_id: uuid.UUID) -> dict[str, Any]:
    person = await users.get_user_summary(session, account_id)
    needles = [str(account_id), *([person.email] if person else [])]
    return {
        "endpoints_registered": await export_rows(
            session, WebhookEndpoint, WebhookEndpoint.created_by_id == account_id,
            omit=ENDPOINT_SECRETS,
        ),
        "deliveries": await export_rows(
            session, WebhookDelivery, json_mentions(WebhookDelivery.payload, needles)
        ),
    }  # fmt: skip


async def erase_personal_data(session: AsyncSession, account_id: uuid.UUID) -> None:
    person = await users.get_user_summary(session, account_id)
    if person is None or person.erased:
        return
    needles = [person.email, person.full_name]
    deliveries = await session.scalars(
        select(WebhookDelivery).where(json_mentions(WebhookDelivery.payload, needles))
    )
    for delivery in deliveries:
        delivery.payload = redact(delivery.payload, needles)
    messages = await session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.task.in_((SEND_TASK, RETRY_TASK)),
            json_mentions(OutboxMessage.payload, needles),
        )
    )
    for message in messages:
        message.payload = redact(message.payload, needles)
    await session.flush()


PERSONAL_DATA = PersonalDataHandler(
    module="webhooks",
    tables=("webhook_endpoints", "webhook_deliveries"),
    export=export_personal_data,
    erase=erase_personal_data,
    schema=document_schema(
        "webhooks",
        "Webhook endpoints you registered (never their secrets), and the events about "
        "you that were sent to other systems.",
        {
            "endpoints_registered": rows_schema(WebhookEndpoint, omit=ENDPOINT_SECRETS),
            "deliveries": rows_schema(WebhookDelivery),
        },
    ),
    kept="Deliveries with the person's email and name redacted (ids only); endpoints.",
)
